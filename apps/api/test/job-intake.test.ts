// JobIntake on real Postgres and Redis: submits that arrive together share one INSERT and one addBulk,
// and still each get their own answer — created, an idempotent replay, a key conflict, or an error.
import { randomBytes, randomUUID } from 'node:crypto';
import { JobsRepo, type NewJob } from '@agentq/db';
import { createTestDatabase, type TestDatabase } from '@agentq/db/testing';
import { createRedis, Queues } from '@agentq/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobIntake } from '../src/job-intake.ts';

const TENANT = 'intake';
let db: TestDatabase;
let jobs: JobsRepo;
let queues: Queues;

beforeAll(async () => {
  db = await createTestDatabase('job_intake');
  jobs = new JobsRepo(db);
  await jobs.ensureTenant(TENANT);
  queues = new Queues(
    createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
    `aqt_${randomBytes(4).toString('hex')}`,
  );
});

afterAll(async () => {
  await Promise.allSettled(queues.all().map((q) => q.obliterate({ force: true })));
  await queues.close();
  await db.drop();
});

const input = (task: string, extra: Partial<NewJob> = {}): NewJob => ({
  tenantId: TENANT,
  task,
  model: 'scripted',
  config: {},
  ...extra,
});

/** The transactions (xmin) that wrote these jobs' rows. */
const writers = async (ids: string[]) =>
  (
    await db.prisma.$queryRaw<{ x: string }[]>`
      SELECT DISTINCT xmin::text AS x FROM job WHERE id = ANY(${ids}::uuid[])`
  ).length;

describe('JobIntake', () => {
  it('creates and enqueues submits that arrive together in shared statements', async () => {
    const intake = new JobIntake(jobs, queues);
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => intake.submit(input(`t${i}`))));
    expect(results.map((r) => r.kind)).toEqual(Array(24).fill('created'));
    const ids = results.map((r) => r.job.job_id);
    expect(new Set(ids).size).toBe(24);
    expect(await writers(ids), 'transactions for 24 submits').toBeLessThan(24);
    const queued = await Promise.all(ids.map((id) => queues.queue('agentRun').getJob(id)));
    expect(queued.map((j) => j?.data)).toEqual(ids.map((id) => ({ job_id: id, tenant_id: TENANT })));
    const events = await db.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM job_event WHERE job_id = ANY(${ids}::uuid[]) AND seq = 1 AND type = 'status'`;
    expect(events[0]!.n).toBe(24);
  });

  it('answers a key reused inside one batch: the first creates, the same request replays, another conflicts', async () => {
    const intake = new JobIntake(jobs, queues);
    const key = `k-${randomUUID()}`;
    const [, , ...results] = await Promise.all([
      intake.submit(input('pad 1')), // the first two go out at once; the rest meet in the next batch
      intake.submit(input('pad 2')),
      intake.submit(input('same', { idempotencyKey: key })),
      intake.submit(input('same', { idempotencyKey: key })),
      intake.submit(input('different', { idempotencyKey: key })),
    ]);
    expect(results.map((r) => r!.kind)).toEqual(['created', 'existing', 'conflict']);
    const id = results[0]!.job.job_id;
    expect(results.map((r) => r!.job.job_id)).toEqual([id, id, id]);
    const held = await db.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM job WHERE tenant_id = ${TENANT} AND idempotency_key = ${key}`;
    expect(held[0]!.n).toBe(1);
  });

  it('never creates two jobs of one session in the same statement (they would share created_at)', async () => {
    const intake = new JobIntake(jobs, queues);
    const sessionId = `s-${randomUUID()}`;
    const results = await Promise.all([
      intake.submit(input('pad 1')),
      intake.submit(input('pad 2')),
      intake.submit(input('turn 1', { sessionId })),
      intake.submit(input('turn 2', { sessionId })),
    ]);
    expect(await writers(results.slice(2).map((r) => r.job.job_id))).toBe(2);
  });

  it('when enqueueing fails, the submits fail but their jobs stay queued in Postgres, each created once', async () => {
    // Redis refusing the addBulk (the reconciler enqueues these jobs once it is back; reconciler tests).
    const redisDown = {
      enqueueFreshRuns: async () => {
        throw new Error('redis is down');
      },
    } as unknown as Queues;
    const intake = new JobIntake(jobs, redisDown);
    const tasks = Array.from({ length: 6 }, (_, i) => `lost ${randomUUID()} ${i}`);
    const settled = await Promise.allSettled(tasks.map((t) => intake.submit(input(t))));
    expect(settled.map((s) => s.status)).toEqual(Array(6).fill('rejected'));
    expect(String((settled[0] as PromiseRejectedResult).reason)).toContain('redis is down');
    const rows = await db.prisma.$queryRaw<{ task: string; status: string }[]>`
      SELECT task, status FROM job WHERE task = ANY(${tasks}) ORDER BY task`;
    expect(rows).toEqual([...tasks].sort().map((task) => ({ task, status: 'queued' })));
  });
});
