import { afterEach, describe, expect, it, vi } from 'vitest';
import { redactSecrets } from '../src/redact.ts';
import { backoffMs } from '../src/retry.ts';
import { retryAfterMs } from '../src/retry-after.ts';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const h = (init: Record<string, string>) => new Headers(init);

describe('retryAfterMs', () => {
  it('reads retry-after-ms first, then Retry-After seconds or an HTTP date', () => {
    expect(retryAfterMs(h({ 'retry-after-ms': '250', 'retry-after': '9' }), NOW)).toBe(250);
    expect(retryAfterMs(h({ 'retry-after': '2' }), NOW)).toBe(2_000);
    expect(retryAfterMs(h({ 'retry-after': '0.5' }), NOW)).toBe(500);
    expect(retryAfterMs(h({ 'retry-after': new Date(NOW + 30_000).toUTCString() }), NOW)).toBe(30_000);
    expect(retryAfterMs(h({ 'retry-after': new Date(NOW - 30_000).toUTCString() }), NOW)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
    expect(retryAfterMs(h({}), NOW)).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after-ms': '-5', 'retry-after': '-5' }), NOW)).toBeUndefined();
  });
});

describe('backoffMs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is full jitter: uniform up to base · 2^retry, capped', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1_000 };
    vi.spyOn(Math, 'random').mockReturnValue(0.999999);
    expect(backoffMs(0, policy)).toBeCloseTo(100, 2);
    expect(backoffMs(2, policy)).toBeCloseTo(400, 2);
    expect(backoffMs(10, policy)).toBeCloseTo(1_000, 2);
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(backoffMs(3, policy)).toBe(0);
  });
});

describe('redactSecrets', () => {
  it('removes the configured keys and anything shaped like a provider key', () => {
    expect(redactSecrets('bad key my-own-secret-value here', ['my-own-secret-value'])).toBe(
      'bad key [redacted] here',
    );
    expect(redactSecrets('Incorrect API key provided: sk-proj-abc***********xyz.', [])).toBe(
      'Incorrect API key provided: [redacted].',
    );
    expect(redactSecrets('key sk-ant-api03-AbC_d-e', [])).toBe('key [redacted]');
    // A short placeholder is not a secret, and must not blank out ordinary words.
    expect(redactSecrets('no key needed', ['no'])).toBe('no key needed');
  });
});
