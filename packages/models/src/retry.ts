// Our one retry loop around a provider call. The SDKs' own retries are switched off (maxRetries: 0) so
// this is the only place that decides: it honours Retry-After, backs off with full jitter, gives every
// attempt its own timeout, and stops at once when the job's signal aborts.
import { RetryableError, sleep, timeLimit } from '@agentq/agent';
import { classify } from './provider-error.ts';

export interface RetryPolicy {
  /** Attempts after the first one. 0 = a single attempt. */
  maxRetries: number;
  /** Time limit of one attempt; a timed-out attempt counts as transient and is retried. */
  timeoutMs: number;
  /** Backoff before retry n (from 0) is uniform in [0, min(maxDelayMs, baseDelayMs · 2^n)] ("full jitter"). */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * A server-requested wait longer than this is not slept through inside the job: the call ends with a
   * RetryableError carrying the wait, so the queue re-runs the job later instead of holding a worker slot.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 4,
  timeoutMs: 120_000,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

export interface RetryContext {
  /** Names the provider in error messages, e.g. "anthropic". */
  provider: string;
  policy: RetryPolicy;
  /** The job's signal: aborting it rejects with its reason, immediately and without retrying. */
  signal: AbortSignal;
  /** Credentials to scrub from any error message. */
  secrets: readonly (string | undefined)[];
}

/**
 * Runs `call` until it succeeds, fails for good (JobFailure), or runs out of retries (RetryableError).
 * `call` gets a signal that aborts on the job's signal or on this attempt's timeout.
 */
export async function withRetries<T>(
  ctx: RetryContext,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { policy, signal } = ctx;
  for (let retry = 0; ; retry++) {
    signal.throwIfAborted();
    const outcome = await attempt(call, signal, policy.timeoutMs);
    if (outcome.ok) return outcome.value;
    // Whatever the SDK made of the abort, the caller asked to stop: give back its reason, untouched.
    if (signal.aborted) throw signal.reason;
    const verdict = outcome.timedOut
      ? { kind: 'transient' as const, reason: `${ctx.provider} did not answer within ${policy.timeoutMs} ms` }
      : classify(outcome.error, ctx.provider, ctx.secrets);
    if (verdict.kind === 'unknown') throw outcome.error;
    if (verdict.kind === 'fatal') throw verdict.failure;
    const wait = verdict.retryAfterMs;
    if (retry >= policy.maxRetries || (wait !== undefined && wait > policy.maxRetryAfterMs)) {
      const tries = `${retry + 1} attempt${retry === 0 ? '' : 's'}`;
      throw new RetryableError(`${verdict.reason}; gave up after ${tries}`, wait, { cause: outcome.error });
    }
    await sleep(wait ?? backoffMs(retry, policy), signal);
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown; timedOut: boolean };

async function attempt<T>(
  call: (signal: AbortSignal) => Promise<T>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Outcome<T>> {
  const limit = timeLimit(signal, timeoutMs);
  try {
    return { ok: true, value: await call(limit.signal) };
  } catch (error) {
    return { ok: false, error, timedOut: limit.timedOut() };
  } finally {
    limit.dispose();
  }
}

export function backoffMs(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  return Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
}
