import { describe, expect, it } from 'vitest';
import { parseHttpDate, parseRetryAfter } from '../src/retry-after.ts';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
  });

  it('reads an HTTP-date as the time left until then, 0 when already past', () => {
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(parseRetryAfter(new Date(NOW - 90_000).toUTCString(), new Date(NOW))).toBe(0);
  });

  it('ignores absent and malformed values', () => {
    for (const v of [
      undefined,
      null,
      '',
      'soon',
      '1.5',
      '-5',
      '5s',
      'Sun, 31 Feb 2026 10:00:00 GMT',
      '2026-03-01T12:00:00Z',
    ]) {
      expect(parseRetryAfter(v, NOW)).toBeUndefined();
    }
  });
});

describe('parseHttpDate', () => {
  const expected = Date.UTC(1994, 10, 6, 8, 49, 37);
  it('accepts the three formats RFC 9110 requires', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(expected);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(expected);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994', NOW)).toBe(expected);
  });

  it('reads a two-digit year as at most 50 years ahead', () => {
    expect(parseHttpDate('Monday, 01-Jan-30 00:00:00 GMT', NOW)).toBe(Date.UTC(2030, 0, 1));
    expect(parseHttpDate('Friday, 01-Jan-99 00:00:00 GMT', NOW)).toBe(Date.UTC(1999, 0, 1));
  });
});
