import { describe, expect, it } from 'vitest';
import { timeLimit } from '../src/time-limit.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('timeLimit', () => {
  it("aborts with the caller's reason when the caller's signal aborts, and not as a timeout", () => {
    const parent = new AbortController();
    const limit = timeLimit(parent.signal, 60_000);
    const reason = new Error('cancelled');
    parent.abort(reason);
    expect(limit.signal.aborted).toBe(true);
    expect(limit.signal.reason).toBe(reason);
    expect(limit.timedOut()).toBe(false);
    limit.dispose();
  });

  it('aborts as a timeout when the limit passes', async () => {
    const limit = timeLimit(new AbortController().signal, 10);
    await wait(40);
    expect(limit.signal.aborted).toBe(true);
    expect(limit.timedOut()).toBe(true);
    expect((limit.signal.reason as Error).name).toBe('TimeoutError');
  });

  it('starts aborted when the caller already is', () => {
    const parent = new AbortController();
    parent.abort('stop');
    const limit = timeLimit(parent.signal, 60_000);
    expect(limit.signal.reason).toBe('stop');
    limit.dispose();
  });

  it('after dispose, neither the limit nor the caller aborts it any more', async () => {
    const parent = new AbortController();
    const limit = timeLimit(parent.signal, 10);
    limit.dispose();
    await wait(40);
    parent.abort();
    expect(limit.signal.aborted).toBe(false);
    expect(limit.timedOut()).toBe(false);
  });
});
