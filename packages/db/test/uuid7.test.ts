import { describe, expect, it } from 'vitest';
import { isUuid } from '../src/jobs-repo.ts';
import { uuid7 } from '../src/uuid7.ts';

describe('uuid7', () => {
  it('is a version 7, RFC 9562 variant UUID whose first 48 bits are the millisecond', () => {
    const at = Date.UTC(2026, 10, 24, 12, 0, 0, 123);
    const id = uuid7(at);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('increases with every call, within one millisecond, past the counter, and if the clock goes back', () => {
    const at = Date.now() + 60_000;
    const ids = [
      ...Array.from({ length: 5_000 }, () => uuid7(at)), // more than the 4,096 a millisecond's counter holds
      uuid7(at - 10_000),
      uuid7(at + 1),
    ];
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `id ${i}`).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
