// The per-tenant running-jobs gate against the machine's Redis: the cap holds under concurrent workers,
// a job keeps its own slot when it is taken over, and a dead worker's slots come back when its leases
// expire while a live worker's leases do not.
import { randomBytes, randomUUID } from 'node:crypto';
import { createRedis } from '@agentq/queue';
import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantGate } from '../src/tenant-gate.ts';

const prefix = `aqt_gate_${randomBytes(4).toString('hex')}`;
let redis: Redis;
const gates: TenantGate[] = [];

beforeAll(() => {
  redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
});
afterAll(async () => {
  await Promise.all(gates.map((g) => g.close()));
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function gate(cap: number, leaseMs = 30_000): TenantGate {
  const g = new TenantGate({
    redis,
    prefix,
    log: pino({ level: 'silent' }),
    tenantCap: async () => cap,
    defaultCap: 99,
    leaseMs,
  });
  gates.push(g);
  return g;
}

/** Just enough of a BullMQ job: its payload, and a record of being put back as delayed. */
function fakeJob(tenant: string, jobId = randomUUID()) {
  const delayedUntil: number[] = [];
  const job = {
    data: { job_id: jobId, tenant_id: tenant },
    moveToDelayed: async (at: number) => {
      delayedUntil.push(at);
    },
  } as unknown as Job;
  return { job, jobId, delayedUntil };
}

const enter = async (g: TenantGate, job: Job) => {
  try {
    return await g.enter(job, 'token');
  } catch (error) {
    if (error instanceof DelayedError) return undefined;
    throw error;
  }
};

describe('TenantGate', () => {
  it('lets exactly `cap` of many concurrent entries through, across workers, and delays the rest', async () => {
    const [a, b] = [gate(3), gate(3)];
    const jobs = Array.from({ length: 20 }, () => fakeJob('race'));
    const slots = await Promise.all(jobs.map((j, i) => enter(i % 2 ? a : b, j.job)));
    expect(slots.filter(Boolean)).toHaveLength(3);
    const delayed = jobs.filter((j) => j.delayedUntil.length === 1);
    expect(delayed).toHaveLength(17);
    for (const j of delayed) expect(j.delayedUntil[0]).toBeGreaterThan(Date.now());
    expect(await redis.zcard(a.slotsKey('race'))).toBe(3);
    // Releasing one slot lets one more in; tenants do not share slots.
    await slots.find(Boolean)!.release();
    expect(await enter(a, fakeJob('race').job)).toBeDefined();
    expect(await enter(a, fakeJob('race').job)).toBeUndefined();
    expect(await enter(a, fakeJob('someone-else').job)).toBeDefined();
  });

  it('a job taken over by another worker keeps its one slot instead of taking a second', async () => {
    const [a, b] = [gate(1), gate(1)];
    const { job, jobId } = fakeJob('takeover');
    expect(await enter(a, job)).toBeDefined();
    expect(await enter(b, fakeJob('takeover', jobId).job)).toBeDefined();
    expect(await redis.zrange(a.slotsKey('takeover'), 0, -1)).toEqual([jobId]);
    expect(await enter(b, fakeJob('takeover').job)).toBeUndefined();
  });

  it("a dead worker's slots come back when their leases run out; a live worker's are refreshed", async () => {
    const dead = gate(1, 300);
    const live = gate(1, 300);
    expect(await enter(dead, fakeJob('crash').job)).toBeDefined();
    expect(await enter(live, fakeJob('steady').job)).toBeDefined();
    await dead.close(); // the worker dies: no release, no more refreshes
    expect(await enter(live, fakeJob('crash').job)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 700));
    expect(await enter(live, fakeJob('crash').job)).toBeDefined();
    // 'steady' was refreshed all along (every 100 ms): its cap of 1 is still taken.
    expect(await enter(dead, fakeJob('steady').job)).toBeUndefined();
  });
});
