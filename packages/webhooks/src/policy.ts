// When to try a delivery again, and what an HTTP answer means. Pure functions, so the queue
// processor (apps/worker) can store the decision in the outbox row and tests need no clock.
import { parseRetryAfter } from './retry-after.ts';

/**
 * Seconds to wait after the 1st, 2nd, … failed attempt — Standard Webhooks' example schedule
 * (the first attempt is immediate). Same value as WEBHOOK_RETRY_SCHEDULE's default.
 */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 36000];

/**
 * Longest wait a receiver's Retry-After can impose (24 h). Retry-After may push an attempt later
 * than the schedule, never earlier, and a receiver must not be able to park a delivery for months.
 */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * - delivered: 2xx, done.
 * - retry: anything else that may succeed later (non-2xx incl. 3xx, timeouts, network errors).
 * - gone: 410, the receiver asked us to stop; permanent.
 * - refused: the destination is private/invalid (SSRF guard); permanent, nothing was sent.
 */
export type DeliveryOutcome = 'delivered' | 'retry' | 'gone' | 'refused';

/**
 * The outcome of an HTTP answer. 3xx counts as a failure (redirects are not followed, as Standard
 * Webhooks recommends: the owner should fix the URL). Every other non-2xx is retried — 4xx too,
 * because a receiver answering 401/404 is usually being redeployed or misconfigured, and fixable.
 */
export function classifyResponse(status: number): Exclude<DeliveryOutcome, 'refused'> {
  if (status >= 200 && status <= 299) return 'delivered';
  if (status === 410) return 'gone';
  return 'retry';
}

/** Attempts a delivery gets in total with this schedule: the immediate one plus one per entry. */
export const totalAttempts = (schedule: readonly number[] = DEFAULT_RETRY_SCHEDULE): number =>
  schedule.length + 1;

export interface NextAttemptInput {
  /** Attempts made so far, including the one that just failed (1 after the first attempt). */
  attempt: number;
  /** Seconds between attempts (WEBHOOK_RETRY_SCHEDULE); default DEFAULT_RETRY_SCHEDULE. */
  schedule?: readonly number[];
  /** The raw Retry-After response header, if any. */
  retryAfterHeader?: string | null;
  /** An already parsed Retry-After in ms (deliverOnce's `retryAfterMs`); the larger of the two counts. */
  retryAfterMs?: number;
  /** Reference time for an HTTP-date Retry-After; default now. */
  now?: Date | number;
  /** Cap on Retry-After; default MAX_RETRY_AFTER_MS. The schedule itself is never capped. */
  maxRetryAfterMs?: number;
  /**
   * Spread, as a fraction of the scheduled delay, added at random (0.1 → up to +10%) so receivers
   * that failed together are not retried in lockstep. Default 0: the schedule is exact.
   */
  jitter?: number;
  /** Random source in [0, 1) for the jitter; default Math.random. */
  random?: () => number;
}

/**
 * Milliseconds until the next attempt, or undefined when the schedule is exhausted (the delivery has
 * failed for good). The wait is the larger of the scheduled delay and the (capped) Retry-After.
 */
export function nextAttemptDelay(input: NextAttemptInput): number | undefined {
  const {
    attempt,
    schedule = DEFAULT_RETRY_SCHEDULE,
    now = Date.now(),
    jitter = 0,
    random = Math.random,
  } = input;
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError('attempt must be an integer >= 1');
  const seconds = schedule[attempt - 1];
  if (seconds === undefined) return undefined;
  const scheduled = seconds * 1000 * (1 + jitter * random());
  const requested = Math.max(parseRetryAfter(input.retryAfterHeader, now) ?? 0, input.retryAfterMs ?? 0);
  return Math.round(Math.max(scheduled, Math.min(requested, input.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS)));
}

/** What the processor does after an attempt: wait and try again, or record a final status. */
export type NextStep =
  | { action: 'retry'; delayMs: number }
  | { action: 'stop'; status: 'delivered' | 'gone' | 'refused' | 'exhausted' };

/**
 * The whole decision after one attempt, so the processor has no policy of its own: a final outcome
 * stops, a retryable one waits per nextAttemptDelay or — once the schedule is used up — is exhausted.
 */
export function planNextAttempt(
  result: { outcome: DeliveryOutcome; retryAfterMs?: number | undefined },
  options: Omit<NextAttemptInput, 'retryAfterHeader' | 'retryAfterMs'>,
): NextStep {
  if (result.outcome !== 'retry') return { action: 'stop', status: result.outcome };
  const delayMs = nextAttemptDelay({ ...options, retryAfterMs: result.retryAfterMs });
  return delayMs === undefined ? { action: 'stop', status: 'exhausted' } : { action: 'retry', delayMs };
}
