// What `wait()` and `events()` retry (a dropped connection, a gateway error) and how long they wait in
// between. One-shot calls (submit, get, cancel, …) never retry on their own: a POST may have taken effect.
import { AgentqError } from './errors.ts';

/** A failure that may go away by asking again: network errors, timeouts, 408, 429 and 5xx (but 501). */
export function isTransient(error: unknown): boolean {
  if (error instanceof AgentqError) {
    return error.status === 408 || error.status === 429 || (error.status >= 500 && error.status !== 501);
  }
  // fetch rejects with a TypeError when the connection fails; a body read fails with one when it drops.
  if (error instanceof TypeError) return true;
  // Our own per-request timeout or idle timer (the caller checks its own signal first).
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

/** Exponential backoff with ±20% jitter: base, 2·base, 4·base, … capped at max. `attempt` starts at 1. */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return attempt <= 1 ? delay : Math.round(delay * (0.8 + Math.random() * 0.4));
}

/** Resolves after `ms`; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * An AbortController that also aborts when `parent` does (AbortSignal.any without needing it).
 * Call `dispose` when done so the parent does not keep a listener per request.
 */
export function childController(parent?: AbortSignal): { controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  if (!parent) return { controller, dispose() {} };
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, dispose() {} };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** An Error named TimeoutError (DOMException is not in every runtime's type set). */
export function timeoutError(message: string): Error {
  const error = new Error(message);
  error.name = 'TimeoutError';
  return error;
}
