import { describe, expect, it } from 'vitest';
import {
  classifyResponse,
  DEFAULT_RETRY_SCHEDULE,
  MAX_RETRY_AFTER_MS,
  nextAttemptDelay,
  planNextAttempt,
  totalAttempts,
} from '../src/policy.ts';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);

describe('nextAttemptDelay', () => {
  it('walks the Standard Webhooks schedule and stops after its last entry', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => nextAttemptDelay({ attempt }));
    expect(delays).toEqual([
      5_000,
      300_000,
      1_800_000,
      7_200_000,
      18_000_000,
      36_000_000,
      36_000_000,
      undefined,
    ]);
    expect(totalAttempts()).toBe(8);
    expect(DEFAULT_RETRY_SCHEDULE).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
  });

  it('follows a configured schedule', () => {
    const schedule = [1, 2];
    expect([1, 2, 3].map((attempt) => nextAttemptDelay({ attempt, schedule }))).toEqual([
      1000,
      2000,
      undefined,
    ]);
    expect(totalAttempts(schedule)).toBe(3);
  });

  it('waits for Retry-After seconds when longer than the schedule, never less than the schedule', () => {
    expect(nextAttemptDelay({ attempt: 1, retryAfterHeader: '60', now: NOW })).toBe(60_000);
    expect(nextAttemptDelay({ attempt: 2, retryAfterHeader: '60', now: NOW })).toBe(300_000);
    expect(nextAttemptDelay({ attempt: 1, retryAfterHeader: 'garbage', now: NOW })).toBe(5_000);
  });

  it('waits for a Retry-After HTTP-date', () => {
    const header = new Date(NOW + 120_000).toUTCString();
    expect(nextAttemptDelay({ attempt: 1, retryAfterHeader: header, now: NOW })).toBe(120_000);
    expect(nextAttemptDelay({ attempt: 1, retryAfterHeader: header, now: new Date(NOW + 100_000) })).toBe(
      20_000,
    );
  });

  it('takes an already parsed Retry-After and the larger of both', () => {
    expect(nextAttemptDelay({ attempt: 1, retryAfterMs: 42_000 })).toBe(42_000);
    expect(nextAttemptDelay({ attempt: 1, retryAfterMs: 42_000, retryAfterHeader: '50', now: NOW })).toBe(
      50_000,
    );
  });

  it('caps Retry-After', () => {
    expect(nextAttemptDelay({ attempt: 1, retryAfterHeader: String(30 * 86400), now: NOW })).toBe(
      MAX_RETRY_AFTER_MS,
    );
    expect(nextAttemptDelay({ attempt: 1, retryAfterMs: 10_000_000, maxRetryAfterMs: 60_000 })).toBe(60_000);
  });

  it('does not extend an exhausted schedule because of Retry-After', () => {
    expect(nextAttemptDelay({ attempt: 8, retryAfterHeader: '10', now: NOW })).toBeUndefined();
  });

  it('adds jitter only when asked, and only later', () => {
    expect(nextAttemptDelay({ attempt: 1, jitter: 0.2, random: () => 0.5 })).toBe(5_500);
    expect(nextAttemptDelay({ attempt: 1, random: () => 0.99 })).toBe(5_000);
  });

  it('refuses an attempt number below 1', () => {
    expect(() => nextAttemptDelay({ attempt: 0 })).toThrow(RangeError);
    expect(() => nextAttemptDelay({ attempt: 1.5 })).toThrow(RangeError);
  });
});

describe('classifyResponse', () => {
  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    [301, 'retry'],
    [304, 'retry'],
    [400, 'retry'],
    [404, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [410, 'gone'],
  ] as const)('%i → %s', (status, outcome) => {
    expect(classifyResponse(status)).toBe(outcome);
  });
});

describe('planNextAttempt', () => {
  it('stops on final outcomes whatever the attempt', () => {
    for (const outcome of ['delivered', 'gone', 'refused'] as const) {
      expect(planNextAttempt({ outcome }, { attempt: 1 })).toEqual({ action: 'stop', status: outcome });
    }
  });

  it('retries per schedule and Retry-After, then gives up as exhausted', () => {
    expect(planNextAttempt({ outcome: 'retry' }, { attempt: 1 })).toEqual({
      action: 'retry',
      delayMs: 5_000,
    });
    expect(planNextAttempt({ outcome: 'retry', retryAfterMs: 90_000 }, { attempt: 1 })).toEqual({
      action: 'retry',
      delayMs: 90_000,
    });
    expect(planNextAttempt({ outcome: 'retry' }, { attempt: 3, schedule: [1, 1] })).toEqual({
      action: 'stop',
      status: 'exhausted',
    });
  });
});
