// One delivery attempt: sign, POST through the SSRF guard, classify. Retry timing and bookkeeping
// belong to the caller (the worker's queue processor, with planNextAttempt); this never sleeps.
import { DestinationRefused, guardedFetch } from './destination.ts';
import { classifyResponse, type DeliveryOutcome } from './policy.ts';
import { parseRetryAfter } from './retry-after.ts';
import { signWebhook } from './sign.ts';

export interface DeliverInput {
  url: string;
  /** The delivery's id, the same on every attempt (receivers deduplicate on it). */
  id: string;
  /** The exact body; signed and sent byte for byte. */
  body: string;
  /** WEBHOOK_SECRET (comma-separated or array); every secret signs. */
  secrets: string | readonly string[];
  /** Deadline for the whole attempt, response included (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE. */
  allowPrivate: boolean;
  /** Aborting it (e.g. on shutdown) rejects deliverOnce with the signal's reason instead of classifying. */
  signal?: AbortSignal;
  /** Time put in webhook-timestamp; default now. */
  now?: Date;
}

export interface DeliveryResult {
  outcome: DeliveryOutcome;
  /** The receiver's status code, when it answered. */
  statusCode?: number;
  /** Why it failed, short and single-line, for the delivery log (a bit of the response body on non-2xx). */
  error?: string;
  /** What the receiver's Retry-After asked for (uncapped; nextAttemptDelay caps it), on retry only. */
  retryAfterMs?: number;
  durationMs: number;
}

/** Standard Webhooks: a 3xx is a failure, and the owner should update the URL; never follow it. */
const MAX_REDIRECTS = 0;
/** Enough of an error page to tell "nginx 502" from "stack trace", not enough to fill the log table. */
const SNIPPET_BYTES = 1024;
const SNIPPET_CHARS = 200;
const ERROR_CHARS = 300;
const USER_AGENT = 'agentq-webhooks/1';

/**
 * Makes one attempt and reports what happened. Resolves for every HTTP answer and every network
 * failure (timeout, refused connection, DNS, TLS); rejects only when `signal` is aborted or the
 * secrets/id are invalid (configuration errors, which retrying cannot fix).
 */
export async function deliverOnce(input: DeliverInput): Promise<DeliveryResult> {
  const { signal } = input;
  signal?.throwIfAborted();
  const headers = await signWebhook({
    id: input.id,
    timestamp: input.now,
    body: input.body,
    secrets: input.secrets,
  });
  // Our own deadline (rather than the guard's timeoutMs) so that a timeout can be told apart from the
  // caller's abort, and so it also bounds reading the error snippet.
  const deadline = AbortSignal.timeout(input.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);

  let response: Response;
  try {
    response = await guardedFetch(
      input.url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-length': String(new TextEncoder().encode(input.body).byteLength),
          'user-agent': USER_AGENT,
        },
        body: input.body,
      },
      { allowPrivate: input.allowPrivate, maxRedirects: MAX_REDIRECTS, signal: combined },
    );
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof DestinationRefused) {
      return { outcome: 'refused', error: clip(error.message), durationMs: elapsed() };
    }
    const why = deadline.aborted ? `timed out after ${input.timeoutMs} ms` : describe(error);
    return { outcome: 'retry', error: clip(why), durationMs: elapsed() };
  }

  const outcome = classifyResponse(response.status);
  if (outcome === 'delivered') {
    // The answer's body means nothing to us; dropping it closes the connection instead of downloading it.
    await response.body?.cancel().catch(() => {});
    return { outcome, statusCode: response.status, durationMs: elapsed() };
  }
  const snippet = await readSnippet(response);
  if (signal?.aborted) throw signal.reason;
  const result: DeliveryResult = {
    outcome,
    statusCode: response.status,
    error: clip(`HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`),
    durationMs: elapsed(),
  };
  const retryAfterMs = outcome === 'retry' ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
  if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
  return result;
}

/** The first SNIPPET_BYTES of the body as one printable line; whatever arrived if reading fails or times out. */
async function readSnippet(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // Timed out or reset mid-body: the status code already says what we need.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const text = new TextDecoder().decode(bytes.subarray(0, SNIPPET_BYTES));
  return text
    .replace(/[\p{Cc}\s]+/gu, ' ') // control characters would garble a log line
    .trim()
    .slice(0, SNIPPET_CHARS);
}

/** A network error as one line, with the system error behind a generic "fetch failed"-style message. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message;
}

/** Bounded, single-line, and without URL credentials (user:pass@), since errors go to the delivery log. */
function clip(text: string): string {
  return text
    .replace(/\/\/[^/\s@]*@/g, '//')
    .replace(/\s+/g, ' ')
    .slice(0, ERROR_CHARS);
}
