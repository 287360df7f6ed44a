// The events of one job as an async iterable that survives dropped connections: it reconnects with
// `Last-Event-ID: <last seq seen>`, so the server replays exactly what came after (its log is durable),
// skips anything at or below that seq should it come again, and ends after the terminal status event.
import { AgentqError } from './errors.ts';
import { backoff, childController, isTransient, sleep, timeoutError } from './retry.ts';
import { readSse, SseParser } from './sse.ts';
import { isTerminalStatus, type JobEvent } from './types.ts';

export interface EventsOptions {
  /** Resume after this seq (an event's `seq`, the SSE id): only later events are yielded. Default: from the start. */
  lastEventId?: number | string;
  /** Aborting ends the iteration: the pending `next()` rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Delay before reconnecting. Default: what the server asked for with `retry:` (agentq: 2000), else 1000. */
  reconnectDelayMs?: number;
  /** Cap of the backoff while reconnecting keeps failing. Default 30 000. */
  maxReconnectDelayMs?: number;
  /** Consecutive reconnections without a new event before giving up with the last error. Default 10. */
  maxRetries?: number;
  /** Reconnect when nothing (not even a heartbeat, sent every 15 s) arrives for this long. Default 45 000; 0 = never. */
  idleTimeoutMs?: number;
}

/** Opens one SSE connection (resuming after `lastEventId` when given); throws AgentqError on an error answer. */
export type OpenEventStream = (lastEventId: number | undefined, signal: AbortSignal) => Promise<Response>;

/** Checks the options at once (a bad `lastEventId` throws here, not at the first `next()`). */
export function jobEvents(
  open: OpenEventStream,
  options: EventsOptions = {},
): AsyncGenerator<JobEvent, void, undefined> {
  return stream(open, options, cursor(options.lastEventId));
}

async function* stream(
  open: OpenEventStream,
  options: EventsOptions,
  after: number | undefined,
): AsyncGenerator<JobEvent, void, undefined> {
  const { signal, maxReconnectDelayMs = 30_000, maxRetries = 10, idleTimeoutMs = 45_000 } = options;
  let last = after;
  let serverRetryMs: number | undefined;
  let failures = 0;

  for (;;) {
    signal?.throwIfAborted();
    const { controller, dispose } = childController(signal);
    let idle: ReturnType<typeof setTimeout> | undefined;
    const pauseIdle = () => clearTimeout(idle);
    const armIdle = () => {
      clearTimeout(idle);
      if (idleTimeoutMs > 0) {
        idle = setTimeout(
          () => controller.abort(timeoutError(`no data on the event stream for ${idleTimeoutMs} ms`)),
          idleTimeoutMs,
        );
      }
    };
    const parser = new SseParser();
    let error: unknown;
    try {
      armIdle();
      const res = await open(last, controller.signal);
      const type = res.headers.get('content-type') ?? '';
      if (!type.toLowerCase().startsWith('text/event-stream') || !res.body) {
        await res.body?.cancel().catch(() => {});
        throw new AgentqError(res.status, 'unexpected_response', `expected an event stream, got "${type}"`);
      }
      for await (const message of readSse(res.body, parser, armIdle)) {
        const event = parseEvent(message.data, message.type);
        if (last !== undefined && event.seq <= last) continue; // already yielded before a reconnect
        last = event.seq;
        failures = 0;
        pauseIdle(); // a slow consumer is not a silent server
        yield event;
        armIdle();
        if (event.type === 'status' && isTerminalStatus(event.data.status)) return;
      }
      error = new Error('the event stream ended before the job did');
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      if (!isTransient(e)) throw e;
      error = e;
    } finally {
      pauseIdle();
      if (parser.retry !== undefined) serverRetryMs = parser.retry;
      controller.abort(); // closes the connection when the consumer stops early
      dispose();
    }

    failures += 1;
    if (failures > maxRetries) throw error;
    const base = options.reconnectDelayMs ?? serverRetryMs ?? 1_000;
    await sleep(backoff(failures, base, Math.max(base, maxReconnectDelayMs)), signal);
  }
}

function cursor(value: number | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new TypeError(`lastEventId must be a non-negative integer, got ${value}`);
  return n;
}

/** An event's `data` is `{"seq","type","created_at","data"}`; anything else is a protocol error, not a blip. */
function parseEvent(data: string, sseType: string): JobEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw new AgentqError(200, 'invalid_event', `event "${sseType}" does not carry JSON data`);
  }
  const event = parsed as Partial<JobEvent> | null;
  if (
    typeof event !== 'object' ||
    event === null ||
    !Number.isSafeInteger(event.seq) ||
    typeof event.type !== 'string'
  ) {
    throw new AgentqError(200, 'invalid_event', `event "${sseType}" has no seq and type`);
  }
  return event as JobEvent;
}
