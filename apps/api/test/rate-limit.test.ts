// SubmitRateLimiter on real Redis: a burst of one tenant's submits takes its tokens in one script call, and
// each submit still gets its own answer — the earliest ones the tokens, the rest a wait.
import { randomBytes } from 'node:crypto';
import { createRedis } from '@agentq/queue';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SubmitRateLimiter } from '../src/rate-limit.ts';

const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `aqt_${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('SubmitRateLimiter', () => {
  it('hands a burst its tokens in arrival order, one script call per bucket', async () => {
    const limiter = new SubmitRateLimiter(redis, prefix);
    await limiter.take('warm', 10); // loads the script, so the burst below is counted alone
    const calls = vi.spyOn(redis, 'evalsha');
    // The first take leaves at once; the six that arrive while it is on its way share the next call.
    const burst = await Promise.all(Array.from({ length: 7 }, () => limiter.take('bursty', 4)));
    expect(calls).toHaveBeenCalledTimes(2);
    calls.mockRestore();
    expect(burst.map((d) => d.allowed)).toEqual([true, true, true, true, false, false, false]);
    expect(burst.map((d) => d.remaining)).toEqual([3, 2, 1, 0, 0, 0, 0]);
    expect(burst.every((d) => d.limit === 4)).toBe(true);
    // One token comes back every 60/4 = 15 s.
    for (const refused of burst.slice(4)) {
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(15_000);
    }
    expect(burst.slice(0, 4).every((d) => d.retryAfterMs === 0)).toBe(true);
  });

  it("keeps tenants' buckets apart within one burst", async () => {
    const limiter = new SubmitRateLimiter(redis, prefix);
    const burst = await Promise.all([
      limiter.take('one', 1),
      limiter.take('one', 1),
      limiter.take('two', 2),
      limiter.take('one', 1),
      limiter.take('two', 2),
    ]);
    expect(burst.map((d) => d.allowed)).toEqual([true, false, true, false, true]);
    expect(burst.map((d) => d.remaining)).toEqual([0, 0, 1, 0, 0]);
  });
});
