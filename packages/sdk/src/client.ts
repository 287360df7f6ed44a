// AgentqClient: one typed method per endpoint of the agentq HTTP API. Only global fetch, streams and
// AbortController are used, so it runs on Node >= 20, Deno, Bun, browsers and edge runtimes.
import { AgentqError, WaitTimeoutError } from './errors.ts';
import { type EventsOptions, jobEvents } from './events.ts';
import { backoff, childController, isTransient, sleep, timeoutError } from './retry.ts';
import {
  type Delivery,
  isTerminalStatus,
  type Job,
  type JobEvent,
  type RedeliverResponse,
  type RunResponse,
  type Step,
  type SubmitRequest,
  type SubmitResponse,
} from './types.ts';

/** The part of fetch the client uses; pass your own to add tracing, proxies or a test double. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface AgentqClientOptions {
  /** Where the API is, e.g. `https://agentq.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface SubmitOptions extends CallOptions {
  /** Same key, same request → the same job (no new one); same key, different task → 409 `idempotency_key_reused`. */
  idempotencyKey?: string;
}

export interface RunOptions extends SubmitOptions {
  /** How long the API holds the request for the job to end, 0..60 s (the API's default is 30). */
  waitSeconds?: number;
}

export interface WaitOptions extends CallOptions {
  /** Give up with a WaitTimeoutError after this long. Default: no limit. */
  timeoutMs?: number;
  /** Length of each long-poll, 0 < s ≤ 60. Default 30. */
  pollSeconds?: number;
}

export interface ApproveOptions extends CallOptions {
  /** Run the call with this input instead of the one the model gave. */
  input?: Record<string, unknown>;
  reason?: string;
}

const MAX_WAIT_SECONDS = 60;
/** wait(): consecutive transient failures (API restart, gateway error) tolerated, with backoff in between. */
const WAIT_MAX_RETRIES = 8;

export class AgentqClient {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: FetchLike;
  readonly #headers: Record<string, string>;

  constructor(options: AgentqClientOptions) {
    const url = new URL(options.baseUrl); // throws on a relative or malformed URL
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('no fetch: pass options.fetch');
    // Called unbound: browsers refuse a native fetch invoked as a method of another object.
    this.#fetch = (input, init) => fetchImpl(input, init);
    this.#headers = { ...options.headers };
  }

  /** POST /submit: queues a job and answers at once. */
  async submit(body: SubmitRequest, options: SubmitOptions = {}): Promise<SubmitResponse> {
    const res = await this.#request('POST', '/submit', {
      body,
      headers: idempotencyHeader(options.idempotencyKey),
      signal: options.signal,
    });
    const json = (await res.json()) as Omit<SubmitResponse, 'replayed'>;
    return { ...json, replayed: res.headers.get('idempotent-replayed') === 'true' };
  }

  /** GET /status/:id: the job's status object now. */
  get(jobId: string, options: CallOptions = {}): Promise<Job> {
    return this.#json('GET', `/status/${segment(jobId)}`, { signal: options.signal });
  }

  /**
   * Long-polls GET /status/:id?wait=… until the job is succeeded, failed or cancelled, and returns it.
   * A `waiting_approval` job is not done: it waits on. Dropped connections and 5xx are retried with
   * backoff (a few times in a row). Throws WaitTimeoutError after `timeoutMs`.
   */
  async wait(jobId: string, options: WaitOptions = {}): Promise<Job> {
    const { timeoutMs, pollSeconds = 30, signal } = options;
    if (!(pollSeconds > 0 && pollSeconds <= MAX_WAIT_SECONDS)) {
      throw new RangeError(`pollSeconds must be in (0, ${MAX_WAIT_SECONDS}], got ${pollSeconds}`);
    }
    if (timeoutMs !== undefined && !(timeoutMs >= 0))
      throw new RangeError(`timeoutMs must be >= 0, got ${timeoutMs}`);
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    const path = `/status/${segment(jobId)}`;
    let last: Job | undefined;
    let failures = 0;
    for (;;) {
      signal?.throwIfAborted();
      const seconds = Math.max(0, Math.min(pollSeconds, (deadline - Date.now()) / 1000));
      const query = `?wait=${Math.round(seconds * 1000) / 1000}`;
      // The API answers by `seconds`; a connection silent well past that is dead, not slow.
      const { controller, dispose } = childController(signal);
      const guard = setTimeout(
        () => controller.abort(timeoutError('the long-poll got no answer in time')),
        seconds * 1000 + 15_000,
      );
      try {
        last = await this.#json<Job>('GET', path + query, { signal: controller.signal });
        failures = 0;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        failures += 1;
        if (!isTransient(error) || failures > WAIT_MAX_RETRIES || Date.now() >= deadline) throw error;
        await sleep(Math.min(backoff(failures, 500, 10_000), Math.max(0, deadline - Date.now())), signal);
        continue;
      } finally {
        clearTimeout(guard);
        dispose();
      }
      if (isTerminalStatus(last.status)) return last;
      if (Date.now() >= deadline) throw new WaitTimeoutError(last, timeoutMs ?? 0);
    }
  }

  /**
   * POST /run?wait=…: submits and holds the request until the job ends or `waitSeconds` pass. Check
   * `status`: terminal (HTTP 200) or still going (HTTP 202; follow up with `wait(job_id)`).
   */
  async run(body: SubmitRequest, options: RunOptions = {}): Promise<RunResponse> {
    const { waitSeconds } = options;
    if (waitSeconds !== undefined && !(waitSeconds >= 0 && waitSeconds <= MAX_WAIT_SECONDS)) {
      throw new RangeError(`waitSeconds must be in [0, ${MAX_WAIT_SECONDS}], got ${waitSeconds}`);
    }
    return this.#json('POST', waitSeconds === undefined ? '/run' : `/run?wait=${waitSeconds}`, {
      body,
      headers: idempotencyHeader(options.idempotencyKey),
      signal: options.signal,
    });
  }

  /** GET /jobs/:id/steps: every recorded step with its tool calls, oldest first. */
  steps(jobId: string, options: CallOptions = {}): Promise<Step[]> {
    return this.#json('GET', `/jobs/${segment(jobId)}/steps`, { signal: options.signal });
  }

  /**
   * GET /jobs/:id/events as an async iterable: every event from the start (or after `lastEventId`) in
   * seq order, each once, ending after the terminal status event. A dropped connection is resumed with
   * `Last-Event-ID`. Breaking out of the loop closes the connection.
   */
  events(jobId: string, options: EventsOptions = {}): AsyncGenerator<JobEvent, void, undefined> {
    const path = `/jobs/${segment(jobId)}/events`;
    return jobEvents(
      (lastEventId, signal) =>
        this.#request('GET', path, {
          headers: {
            accept: 'text/event-stream',
            ...(lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) }),
          },
          signal,
        }),
      options,
    );
  }

  /**
   * POST /jobs/:id/cancel. A queued or waiting job comes back `cancelled`; a running one comes back
   * still `running` (HTTP 202) and its worker stops it shortly: `wait()` for the end.
   */
  cancel(jobId: string, options: CallOptions = {}): Promise<Job> {
    return this.#json('POST', `/jobs/${segment(jobId)}/cancel`, { signal: options.signal });
  }

  /** POST /jobs/:id/approvals/:call_id: lets a waiting tool call run (with edited `input` if given). */
  approve(jobId: string, callId: string, options: ApproveOptions = {}): Promise<Job> {
    const { input, reason, signal } = options;
    return this.#json('POST', `/jobs/${segment(jobId)}/approvals/${segment(callId)}`, {
      body: {
        decision: 'approve',
        ...(reason === undefined ? {} : { reason }),
        ...(input === undefined ? {} : { input }),
      },
      signal,
    });
  }

  /** POST /jobs/:id/approvals/:call_id: refuses a waiting tool call; the model is told why. */
  reject(jobId: string, callId: string, reason?: string, options: CallOptions = {}): Promise<Job> {
    return this.#json('POST', `/jobs/${segment(jobId)}/approvals/${segment(callId)}`, {
      body: { decision: 'reject', ...(reason === undefined ? {} : { reason }) },
      signal: options.signal,
    });
  }

  /** GET /jobs/:id/deliveries: the job's webhooks and their attempts. */
  deliveries(jobId: string, options: CallOptions = {}): Promise<Delivery[]> {
    return this.#json('GET', `/jobs/${segment(jobId)}/deliveries`, { signal: options.signal });
  }

  /** POST /deliveries/:id/redeliver: sends a webhook again (same `webhook-id`). */
  redeliver(deliveryId: string, options: CallOptions = {}): Promise<RedeliverResponse> {
    return this.#json('POST', `/deliveries/${segment(deliveryId)}/redeliver`, { signal: options.signal });
  }

  async #json<T>(method: string, path: string, init: RequestOptions): Promise<T> {
    const res = await this.#request(method, path, init);
    return (await res.json()) as T;
  }

  /** One request; an answer other than 2xx becomes an AgentqError. */
  async #request(method: string, path: string, init: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.#headers, ...init.headers };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.#fetch(this.baseUrl + path, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    if (!res.ok) throw await AgentqError.fromResponse(res);
    return res;
  }
}

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

function segment(id: string): string {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError('an id must be a non-empty string');
  return encodeURIComponent(id);
}

function idempotencyHeader(key: string | undefined): Record<string, string> {
  return key === undefined ? {} : { 'idempotency-key': key };
}
