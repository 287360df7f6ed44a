// A signal for one call with a time limit: it aborts when the caller's signal does (with that reason) or when
// the limit passes. A plain controller, timer and listener, all removed by dispose() when the call ends —
// AbortSignal.timeout would keep its timer armed for the whole limit after every call (a minute by default
// for tools: ~190k pending timers in a busy worker), and AbortSignal.any costs more than a quick tool's call.
export interface TimeLimit {
  signal: AbortSignal;
  /** Whether the limit passed (rather than the caller's signal aborting). */
  timedOut(): boolean;
  /** Stops the timer and lets go of the caller's signal; call it when the call has ended. */
  dispose(): void;
}

export function timeLimit(parent: AbortSignal, timeoutMs: number): TimeLimit {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = () => controller.abort(parent.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
