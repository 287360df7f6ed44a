// SessionLock on a real Redis.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SessionLease, SessionLock } from '../src/index.ts';
import { testRedis } from './support/redis.ts';

describe('SessionLock', () => {
  const { redis, prefix, cleanup } = testRedis('session-lock');
  afterAll(cleanup);
  let n = 0;
  const session = () => `s${++n}`;

  const acquired = async (lock: SessionLock, sessionId: string, owner: string): Promise<SessionLease> => {
    const attempt = await lock.acquire('t1', sessionId, owner);
    if (!attempt.acquired) throw new Error(`expected ${owner} to get the lock`);
    return attempt.lease;
  };

  it('lets one owner in and tells the others how long to wait', async () => {
    const lock = new SessionLock({ redis, keyPrefix: prefix, ttlMs: 5_000 });
    const s = session();
    const lease = await acquired(lock, s, 'job-a');
    expect(lease.key.startsWith(prefix)).toBe(true);
    expect(await redis.get(lease.key)).toBe(lease.token);
    const other = await lock.acquire('t1', s, 'job-b');
    expect(other.acquired).toBe(false);
    if (!other.acquired) {
      // Slack for a loaded machine; the point is "about the TTL", not the 100 ms fallback.
      expect(other.retryAfterMs).toBeGreaterThan(1_000);
      expect(other.retryAfterMs).toBeLessThanOrEqual(5_000);
    }
    // Another session, or the same session id in another tenant, is another lock.
    expect((await lock.acquire('t1', session(), 'job-b')).acquired).toBe(true);
    expect((await lock.acquire('t2', s, 'job-b')).acquired).toBe(true);
    expect(await lease.release()).toBe(true);
    expect((await lock.acquire('t1', s, 'job-b')).acquired).toBe(true);
  });

  it('never lets an expired holder release or renew the next holder’s lock', async () => {
    const short = new SessionLock({ redis, keyPrefix: prefix, ttlMs: 150 });
    const lock = new SessionLock({ redis, keyPrefix: prefix, ttlMs: 5_000 });
    const s = session();
    const stale = await acquired(short, s, 'job-a');
    await sleep(250);
    const current = await acquired(lock, s, 'job-b');
    expect(await stale.release()).toBe(false);
    expect(await stale.renew()).toBe(false);
    expect(await redis.get(current.key)).toBe(current.token);
    expect((await lock.acquire('t1', s, 'job-c')).acquired).toBe(false);
  });

  it('renews for the holder only', async () => {
    const lock = new SessionLock({ redis, keyPrefix: prefix, ttlMs: 10_000 });
    const lease = await acquired(lock, session(), 'job-a');
    await redis.pexpire(lease.key, 2_000);
    expect(await lease.renew()).toBe(true);
    expect(await redis.pttl(lease.key)).toBeGreaterThan(5_000);
    const other = await acquired(lock, session(), 'job-b');
    const foreign = new SessionLease(redis, lease.key, other.token, 10_000);
    await redis.pexpire(lease.key, 2_000);
    expect(await foreign.renew()).toBe(false);
    expect(await redis.pttl(lease.key)).toBeLessThanOrEqual(2_000);
  });

  it('lets a retried attempt of the same job take over, cutting off the earlier attempt', async () => {
    const lock = new SessionLock({ redis, keyPrefix: prefix, ttlMs: 5_000 });
    const s = session();
    const first = await acquired(lock, s, 'job-a');
    const retry = await acquired(lock, s, 'job-a');
    expect(retry.token).not.toBe(first.token);
    expect(await first.release()).toBe(false);
    expect(await redis.get(retry.key)).toBe(retry.token);
    // A job id that merely starts with the holder's is someone else.
    expect((await lock.acquire('t1', s, 'job')).acquired).toBe(false);
  });

  it('keeps the lock alive past its TTL until stopped, and reports a lost lock', async () => {
    const lock = new SessionLock({ redis, keyPrefix: prefix, ttlMs: 600 });
    const s = session();
    const lease = await acquired(lock, s, 'job-a');
    let lost = 0;
    const stop = lease.keepAlive(() => lost++, 100);
    await sleep(1_000);
    expect((await lock.acquire('t1', s, 'job-b')).acquired).toBe(false);
    await redis.set(lease.key, 'someone-else|x', 'PX', 5_000);
    await vi.waitFor(() => expect(lost).toBe(1), { timeout: 3_000, interval: 20 });
    await sleep(300);
    expect(lost).toBe(1);
    stop();
    expect(await redis.get(lease.key)).toBe('someone-else|x');
  });

  it('rejects an owner that could be confused with another', async () => {
    const lock = new SessionLock({ redis, keyPrefix: prefix });
    await expect(lock.acquire('t1', session(), 'a|b')).rejects.toThrow(TypeError);
    await expect(lock.acquire('t1', session(), '')).rejects.toThrow(TypeError);
  });
});
