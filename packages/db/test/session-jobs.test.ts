// Sessions in Postgres: whose turn it is (decided by the claim), and which succeeded jobs still owe their
// session turn (SessionJobs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCheckpointStore } from '../src/checkpoint-store.ts';
import { JobsRepo } from '../src/jobs-repo.ts';
import { PostgresSessionLog, SessionJobs } from '../src/memory-repo.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

describe('session jobs', () => {
  let db: TestDatabase;
  let jobs: JobsRepo;
  let sessions: SessionJobs;
  let store: PostgresCheckpointStore;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase('session_jobs');
    jobs = new JobsRepo(db);
    sessions = new SessionJobs(db.prisma);
    store = new PostgresCheckpointStore(db.sql);
    await jobs.ensureTenant('t1');
    await jobs.ensureTenant('t2');
  });
  afterAll(() => db?.drop());

  const create = async (task: string, sessionId?: string, tenantId = 't1') => {
    const created = await jobs.create({
      tenantId,
      sessionId,
      userId: 'u1',
      task,
      model: 'scripted',
      config: {},
    });
    const id = created.job.job_id;
    // created_at has millisecond precision: space the jobs out so their submission order is unambiguous.
    await db.prisma.$executeRaw`
      UPDATE job SET created_at = '2030-01-01'::timestamptz + ${++n} * interval '1 second' WHERE id = ${id}::uuid`;
    return id;
  };
  const set = (id: string, status: string, result: string | null = null) =>
    db.prisma.$executeRaw`UPDATE job SET status = ${status}, result = ${result} WHERE id = ${id}::uuid`;

  /** What a claim says about the job's turn: 'claimed', or the earlier job it waits for. */
  const turn = async (id: string) => {
    const claim = await store.claim(id, `w-${id}`, 60_000);
    if (claim.kind === 'claimed') {
      await store.release(claim.lease);
      return 'claimed';
    }
    return claim.kind === 'waiting' ? { id: claim.forJobId, status: claim.forStatus } : claim.kind;
  };

  it('a job waits for the oldest unfinished earlier job of its session, and only of its session', async () => {
    const first = await create('one', 's1');
    const second = await create('two', 's1');
    const third = await create('three', 's1');
    const elsewhere = await create('elsewhere', 's2');
    const otherTenant = await create('other tenant', 's1', 't2');

    expect(await turn(third)).toEqual({ id: first, status: 'queued' });
    expect(await turn(second)).toEqual({ id: first, status: 'queued' });
    expect(await turn(elsewhere)).toBe('claimed');
    expect(await turn(otherTenant)).toBe('claimed');
    expect(await turn(first)).toBe('claimed'); // now running (released, not ended): still first in line
    expect(await turn(third)).toEqual({ id: first, status: 'running' });

    await set(first, 'waiting_approval');
    expect(await turn(second)).toEqual({ id: first, status: 'waiting_approval' });
    await set(first, 'succeeded', 'done');
    expect(await turn(third)).toEqual({ id: second, status: 'queued' });
    expect(await turn(second)).toBe('claimed');
    await set(second, 'cancelled');
    expect(await turn(third)).toBe('claimed');
    expect(await sessions.info(first)).toMatchObject({
      tenantId: 't1',
      userId: 'u1',
      sessionId: 's1',
      status: 'succeeded',
      task: 'one',
      result: 'done',
    });
  });

  it('a job without a session waits for nobody; an unknown job is undefined', async () => {
    const loose = await create('no session');
    await create('no session either');
    expect(await turn(loose)).toBe('claimed');
    expect(await sessions.info(loose)).toMatchObject({ sessionId: undefined });
    expect(await sessions.info('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('lists the succeeded jobs up to a job that have no turns yet, oldest first', async () => {
    const a = await create('task a', 's3');
    const b = await create('task b', 's3');
    const c = await create('task c', 's3');
    const d = await create('task d', 's3');
    await set(a, 'succeeded', 'answer a');
    await set(b, 'failed');
    await set(c, 'succeeded', null);
    await set(d, 'succeeded', 'answer d');
    expect(await sessions.unrecorded('t1', 's3', c)).toEqual([
      { id: a, task: 'task a', result: 'answer a' },
      { id: c, task: 'task c', result: '' },
    ]);
    await new PostgresSessionLog(db.prisma).append('t1', 's3', a, [
      { role: 'user', text: 'task a' },
      { role: 'assistant', text: 'answer a' },
    ]);
    expect((await sessions.unrecorded('t1', 's3', d)).map((j) => j.id)).toEqual([c, d]);
    expect(await sessions.unrecorded('t2', 's3', d)).toEqual([]);
  });
});
