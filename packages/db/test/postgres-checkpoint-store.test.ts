// PostgresCheckpointStore: the shared CheckpointStore contract on a real, freshly migrated database, plus
// what only Postgres can promise (one commit per step write, a constant number of queries to load a job).
import { randomUUID } from 'node:crypto';
import {
  CancelledError,
  type Lease,
  LeaseLostError,
  type RecordedStep,
  type ToolOutcome,
} from '@agentq/agent';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointStoreContract, type JobView } from '../../agent/test/checkpoint-store.contract.ts';
import { PostgresCheckpointStore } from '../src/checkpoint-store.ts';
import { connectionString } from '../src/connection-string.ts';
import type { Prisma } from '../src/generated/prisma/client.ts';
import { JobsRepo } from '../src/jobs-repo.ts';
import { sqlClient } from '../src/sql.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

const TENANT = 'contract_tenant';
let db: TestDatabase;
let repo: JobsRepo;

beforeAll(async () => {
  db = await createTestDatabase('pg_checkpoint_store');
  repo = new JobsRepo(db);
  await repo.ensureTenant(TENANT);
});

afterAll(async () => {
  await db?.drop();
});

async function createJob(task: string, config: Record<string, unknown> = {}): Promise<string> {
  const created = await repo.create({ tenantId: TENANT, task, model: 'scripted', config });
  if (created.kind !== 'created') throw new Error(`job not created: ${created.kind}`);
  return created.job.job_id;
}

async function readJob(jobId: string): Promise<JobView> {
  const rows = await db.prisma.$queryRaw<
    {
      status: string;
      steps_used: number;
      tool_calls_used: number;
      input_tokens: number;
      output_tokens: number;
      cache_read_tokens: number;
      cache_write_tokens: number;
      cost_usd: number;
      result: string | null;
      error: { code: string; message: string } | null;
      steps: number[];
    }[]
  >`
    SELECT status, steps_used, tool_calls_used, input_tokens::float8 AS input_tokens,
           output_tokens::float8 AS output_tokens, cache_read_tokens::float8 AS cache_read_tokens,
           cache_write_tokens::float8 AS cache_write_tokens, cost_usd::float8 AS cost_usd, result, error,
           array(SELECT s.index FROM step s WHERE s.job_id = j.id ORDER BY s.index) AS steps
    FROM job j WHERE id = ${jobId}::uuid`;
  const job = rows[0];
  if (!job) throw new Error(`no job ${jobId}`);
  const calls = await db.prisma.$queryRaw<
    {
      call_id: string;
      status: string;
      attempts: number;
      approval: string | null;
      approval_reason: string | null;
      result: unknown;
    }[]
  >`
    SELECT call_id, status, attempts, approval, approval_reason, result FROM tool_call
    WHERE job_id = ${jobId}::uuid ORDER BY step_index, position`;
  return {
    status: job.status,
    stepsUsed: job.steps_used,
    toolCallsUsed: job.tool_calls_used,
    inputTokens: job.input_tokens,
    outputTokens: job.output_tokens,
    cacheReadTokens: job.cache_read_tokens,
    cacheWriteTokens: job.cache_write_tokens,
    costUsd: job.cost_usd,
    result: job.result ?? undefined,
    error: job.error ? { code: job.error.code, message: job.error.message } : undefined,
    steps: job.steps,
    calls: calls.map((c) => ({
      callId: c.call_id,
      status: c.status,
      attempts: c.attempts,
      approval: c.approval ?? undefined,
      approvalReason: c.approval_reason ?? undefined,
      result: c.result ?? undefined,
    })),
  };
}

checkpointStoreContract('PostgresCheckpointStore', async () => ({
  store: new PostgresCheckpointStore(db.sql),
  createJob,
  async requestCancel(jobId) {
    const cancelled = await repo.cancel(TENANT, jobId);
    // The contract only cancels running jobs: the request is recorded, the worker ends the job.
    if (!cancelled || cancelled.immediate) throw new Error('expected a running job to get a cancel request');
  },
  readJob,
  missingJobId: () => randomUUID(),
  async close() {}, // the database is dropped in this file's afterAll
}));

describe('PostgresCheckpointStore on Postgres', () => {
  /** A second pool on the same database whose client logs every statement it sends. */
  let logged: pg.Pool;
  let store: PostgresCheckpointStore;
  const queries: string[] = [];

  beforeAll(() => {
    logged = new pg.Pool({ connectionString: connectionString(db.url), max: 3 });
    store = new PostgresCheckpointStore(sqlClient(logged, (text) => queries.push(text)));
  });

  afterAll(async () => {
    await logged?.end();
  });

  async function counting<T>(fn: () => Promise<T>): Promise<{ value: T; queries: string[] }> {
    queries.length = 0;
    const value = await fn();
    return { value, queries: queries.splice(0) };
  }

  const toolStep = (jobId: string, index: number, ids: string[]) => {
    const step: RecordedStep = {
      index,
      text: `step ${index}`,
      toolCalls: ids.map((id) => ({ id, name: 'tool', input: { id, index } })),
      stopReason: ids.length > 0 ? 'tool_use' : 'end_turn',
      usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 1, cacheWriteTokens: 0 },
      model: 'scripted',
      costUsd: 0.0001,
    };
    const calls = ids.map((id, position) => ({
      callId: id,
      position,
      name: 'tool',
      input: { id, index },
      idempotencyKey: `aq_${jobId}_${index}_${position}`,
    }));
    return { step, calls };
  };
  const ok = (callId: string): ToolOutcome => ({
    callId,
    status: 'succeeded',
    result: { content: `ok ${callId}` },
    attempts: 1,
  });

  /** Claims as `owner`, taking the job over from a previous owner as if it had died. */
  const claimed = async (jobId: string, owner = 'w') => {
    let r = await store.claim(jobId, owner, 60_000);
    if (r.kind === 'held') r = await store.claim(jobId, owner, 60_000, { takeoverFrom: r.owner });
    if (r.kind !== 'claimed') throw new Error(`not claimed: ${JSON.stringify(r)}`);
    return r;
  };

  // Method: every row version carries the id of the transaction that wrote it (xmin). If the step, its
  // new tool calls, the flushed outcomes, the job counters and the events all carry the same xmin, they
  // were committed together — deterministic, unlike pg_stat_database.xact_commit, which is reported
  // asynchronously and counts every other connection's transactions too. The statement count comes from
  // the store's SQL client.
  it('records a step with flushed outcomes in one statement and one commit', async () => {
    const id = await createJob('one commit');
    const { lease } = await claimed(id);
    const s0 = toolStep(id, 0, ['a', 'b']);
    await store.recordStep(lease, s0.step, s0.calls, []);
    const xid = async (sql: Promise<{ x: string }[]>) => (await sql).map((r) => r.x);
    const [aBefore] = await xid(
      db.prisma.$queryRaw`SELECT xmin::text AS x FROM tool_call WHERE job_id = ${id}::uuid AND call_id = 'a'`,
    );
    const eventsBefore = (
      await db.prisma.$queryRaw<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM job_event WHERE job_id = ${id}::uuid`
    )[0]!.n;

    const s1 = toolStep(id, 1, ['c', 'd']);
    const { queries: sent } = await counting(() =>
      store.recordStep(lease, s1.step, s1.calls, [ok('a'), ok('b')]),
    );
    expect(sent, 'statements sent by recordStep').toHaveLength(1);
    expect(sent.some((q) => /^\s*(BEGIN|COMMIT)/i.test(q))).toBe(false);

    const [jobX] = await xid(db.prisma.$queryRaw`SELECT xmin::text AS x FROM job WHERE id = ${id}::uuid`);
    const stepX = await xid(
      db.prisma.$queryRaw`SELECT xmin::text AS x FROM step WHERE job_id = ${id}::uuid ORDER BY index`,
    );
    const callX = await xid(
      db.prisma
        .$queryRaw`SELECT xmin::text AS x FROM tool_call WHERE job_id = ${id}::uuid ORDER BY step_index, position`,
    );
    const eventX = await xid(
      db.prisma.$queryRaw`SELECT xmin::text AS x FROM job_event WHERE job_id = ${id}::uuid ORDER BY seq`,
    );

    expect(jobX).toBeDefined();
    expect(aBefore).not.toBe(jobX); // the flushed call really was rewritten by the new transaction
    expect(stepX).toEqual([stepX[0], jobX]);
    expect(stepX[0]).not.toBe(jobX);
    expect(callX).toEqual([jobX, jobX, jobX, jobX]); // a, b (flushed) and c, d (new)
    // The step event and one event per flushed outcome, all in the same commit; none before it.
    expect(eventX.slice(eventsBefore)).toEqual([jobX, jobX, jobX]);
    expect(eventX.slice(0, eventsBefore)).not.toContain(jobX);

    const view = await readJob(id);
    expect(view.steps).toEqual([0, 1]);
    expect(view.toolCallsUsed).toBe(2);
  });

  it('loads a 200-step job in the same (constant) number of queries as a 1-step job, complete and ordered', async () => {
    const small = await createJob('one step');
    {
      const { lease } = await claimed(small);
      const s = toolStep(small, 0, ['only']);
      await store.recordStep(lease, s.step, s.calls, []);
    }
    const big = await createJob('two hundred steps');
    const { lease } = await claimed(big);
    for (let i = 0; i < 200; i++) {
      const s = toolStep(big, i, [`c${i}_0`, `c${i}_1`]);
      await store.recordStep(lease, s.step, s.calls, i > 0 ? [ok(`c${i - 1}_0`), ok(`c${i - 1}_1`)] : []);
    }

    // The worker that held both jobs died; another takes them over (the claim that finds them held counts).
    const one = await counting(() => claimed(small, 'w2'));
    const many = await counting(() => claimed(big, 'w2'));
    expect(one.queries.length).toBeGreaterThanOrEqual(1); // the query log really counts
    expect(many.queries.length).toBe(one.queries.length);
    expect(many.queries.length).toBeLessThanOrEqual(4); // held, take over, steps, tool calls

    const { state } = many.value;
    expect(state.steps.map((s) => s.index)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(
      state.steps.every(
        (s, i) => s.text === `step ${i}` && s.toolCalls.map((c) => c.id).join() === `c${i}_0,c${i}_1`,
      ),
    ).toBe(true);
    expect(state.toolCalls).toHaveLength(400);
    expect(state.toolCalls.map((c) => `${c.stepIndex}.${c.position}`)).toEqual(
      Array.from({ length: 400 }, (_, k) => `${Math.floor(k / 2)}.${k % 2}`),
    );
    expect(state.toolCalls.filter((c) => c.status === 'succeeded')).toHaveLength(398);
    expect(state.toolCalls.slice(-2).map((c) => c.status)).toEqual(['pending', 'pending']);
    expect(state.job).toMatchObject({ stepsUsed: 200, toolCallsUsed: 398 });
    expect(state.job.usage).toEqual({
      inputTokens: 2000,
      outputTokens: 400,
      cacheReadTokens: 200,
      cacheWriteTokens: 0,
    });
    expect(state.job.costUsd).toBeCloseTo(0.02, 8);
  });

  // Group commit: writes of different jobs that meet at the store go out as one statement (batcher.ts).
  it('group-commits concurrent step writes of many jobs; each job still gets exactly its own rows', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => createJob(`group ${i}`)));
    const leases = [];
    for (const id of ids) leases.push((await claimed(id)).lease);
    for (const [i, id] of ids.entries()) {
      const s = toolStep(id, 0, [`${i}a`]);
      await store.recordStep(leases[i]!, s.step, s.calls, []);
    }

    const { queries: sent } = await counting(() =>
      Promise.all(
        ids.map((id, i) => {
          const s = toolStep(id, 1, [`${i}b`, `${i}c`]);
          return store.recordStep(leases[i]!, s.step, s.calls, [ok(`${i}a`)]);
        }),
      ),
    );
    expect(sent.length, 'statements for 12 concurrent step writes').toBeLessThan(12);

    const xmins = await db.prisma.$queryRaw<{ x: string }[]>`
      SELECT DISTINCT xmin::text AS x FROM step WHERE index = 1 AND job_id = ANY(${ids}::uuid[])`;
    expect(xmins.length, 'transactions that wrote the 12 steps').toBe(sent.length);

    for (const [i, id] of ids.entries()) {
      const view = await readJob(id);
      expect(view.steps).toEqual([0, 1]);
      expect(view.toolCallsUsed).toBe(1);
      expect(view.inputTokens).toBe(20);
      expect(view.calls.map((c) => `${c.callId}:${c.status}`)).toEqual([
        `${i}a:succeeded`,
        `${i}b:pending`,
        `${i}c:pending`,
      ]);
      const events = await db.prisma.$queryRaw<{ seq: number; type: string; call: string | null }[]>`
        SELECT seq, type, data->>'call_id' AS call FROM job_event WHERE job_id = ${id}::uuid ORDER BY seq`;
      // queued, running, step 0, then the flushed outcome before step 1 — dense and in order.
      expect(events.map((e) => `${e.seq}:${e.type}${e.call ? `:${e.call}` : ''}`)).toEqual([
        '1:status',
        '2:status',
        '3:step',
        `4:tool_call:${i}a`,
        '5:step',
      ]);
    }
  });

  it('a write that lost its lease, was cancelled or is invalid fails alone; the rest of its batch commits', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => createJob(`mixed ${i}`)));
    const leases = new Map<string, Lease>();
    for (const id of ids) leases.set(id, (await claimed(id)).lease);
    const [stale, cancelled, duplicate, ...fine] = ids as [string, string, string, ...string[]];
    await claimed(stale, 'someone else'); // takes over: our lease on it is now stale
    await repo.cancel(TENANT, cancelled);
    const first = toolStep(duplicate, 0, []);
    await store.recordStep(leases.get(duplicate)!, first.step, [], []);
    // Step 0 for everyone (again for `duplicate`, which the primary key refuses), all at once.
    const writeAll = (jobs: string[]) =>
      counting(() =>
        Promise.allSettled(
          jobs.map((id) => {
            const s = toolStep(id, 0, [`${id}x`]);
            return store.recordStep(leases.get(id)!, s.step, s.calls, []);
          }),
        ),
      );

    // Refused by the fence inside a batch that commits for the others.
    const a = await writeAll([fine[0]!, fine[1]!, stale, cancelled, fine[2]!, fine[3]!]);
    expect(a.queries.length, 'statements (some writes shared one)').toBeLessThan(6);
    expect(a.value.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((a.value[2] as PromiseRejectedResult).reason).toBeInstanceOf(LeaseLostError);
    expect((a.value[3] as PromiseRejectedResult).reason).toBeInstanceOf(CancelledError);

    // A statement error fails the batch; each write is retried alone, so only the bad one fails.
    const b = await writeAll([fine[4]!, fine[5]!, duplicate, fine[6]!]);
    expect(b.queries.length, 'statements (a batch, then each write alone)').toBeGreaterThan(4);
    expect(b.value.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((b.value[2] as PromiseRejectedResult).reason)).toMatch(/duplicate key|unique/i);

    for (const id of fine) expect((await readJob(id)).steps).toEqual([0]);
    expect((await readJob(stale)).steps).toEqual([]);
    expect((await readJob(cancelled)).steps).toEqual([]);
    expect((await readJob(duplicate)).calls).toEqual([]); // the refused write left nothing behind
  });

  it('claims made at once share a statement, and each gets its own answer', async () => {
    const session = `s-${randomUUID()}`;
    const make = async (task: string, sessionId?: string) => {
      const created = await repo.create({ tenantId: TENANT, task, model: 'scripted', config: {}, sessionId });
      if (created.kind !== 'created') throw new Error(created.kind);
      return created.job.job_id;
    };
    const [fresh1, fresh2, held, first, second, done] = [
      await make('fresh 1'),
      await make('fresh 2'),
      await make('held'),
      await make('session first', session),
      await make('session second', session),
      await make('done'),
    ];
    await claimed(held, 'other');
    const doneLease = (await claimed(done, 'other')).lease;
    await store.finish(doneLease, { status: 'succeeded', result: 'ok' }, []);
    const missing = randomUUID();

    const ids = [fresh1, fresh2, held, second, first, done, missing];
    const { value: results, queries: sent } = await counting(() =>
      Promise.all(ids.map((id) => store.claim(id, 'w', 60_000))),
    );
    expect(sent.length, 'claim statements for 7 claims').toBeLessThan(7);
    const [r1, r2, rHeld, rSecond, rFirst, rDone, rMissing] = results;
    expect(r1).toMatchObject({ kind: 'claimed', lease: { jobId: fresh1, owner: 'w' } });
    expect(r2).toMatchObject({ kind: 'claimed', lease: { jobId: fresh2, owner: 'w' } });
    expect(rHeld).toEqual({ kind: 'held', owner: 'other' });
    expect(rSecond).toEqual({ kind: 'waiting', forJobId: first, forStatus: 'queued' });
    expect(rFirst).toMatchObject({ kind: 'claimed', lease: { jobId: first } });
    expect(rDone).toEqual({ kind: 'not_runnable', status: 'succeeded' });
    expect(rMissing).toEqual({ kind: 'not_runnable', status: 'missing' });
    for (const id of [fresh1, fresh2, first]) expect((await readJob(id)).status).toBe('running');
    expect((await readJob(second)).status).toBe('queued');
  });

  // A batch is a handful of rows; estimated at jsonb_array_elements' 100, the planner joined it to job by a
  // sequential scan of the whole table (cheaper on paper than 100 key lookups) until job held tens of
  // thousands of rows, so every checkpoint write slowed down as jobs accumulated (migration batch_rows).
  it('batch statements find their jobs by primary key, not by scanning the job table', async () => {
    await db.prisma.$executeRaw`
      INSERT INTO job (id, tenant_id, task, model, config)
      SELECT gen_random_uuid(), ${TENANT}, 'filler', 'scripted', '{}'::jsonb FROM generate_series(1, 3000)`;
    await db.prisma.$executeRaw`ANALYZE job`;
    const sent: Prisma.Sql[] = [];
    const recording = new PostgresCheckpointStore({
      rows: (statement) => {
        sent.push(statement);
        return db.sql.rows(statement);
      },
    });
    const ids = await Promise.all(Array.from({ length: 4 }, (_, i) => createJob(`plan ${i}`)));
    const leases = await Promise.all(
      ids.map(async (id) => {
        const r = await recording.claim(id, 'w', 60_000);
        if (r.kind !== 'claimed') throw new Error(r.kind);
        return r.lease;
      }),
    );
    await Promise.all(
      leases.map((lease, i) => recording.recordStep(lease, toolStep(ids[i]!, 0, ['p']).step, [], [])),
    );
    expect(sent.length).toBeGreaterThanOrEqual(2);

    const scansOfJob = (node: PlanNode): string[] => [
      ...(node['Relation Name'] === 'job' &&
      !['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan', 'ModifyTable'].includes(node['Node Type'])
        ? [node['Node Type']]
        : []),
      ...(node.Plans ?? []).flatMap(scansOfJob),
    ];
    for (const statement of sent) {
      const [{ 'QUERY PLAN': plan }] = (
        await logged.query(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.values as unknown[])
      ).rows as { 'QUERY PLAN': { Plan: PlanNode }[] }[];
      expect(scansOfJob(plan[0]!.Plan), statement.text.slice(0, 60)).toEqual([]);
    }
  });

  // step, tool_call and job_event have no foreign key to job (migration child_rows_without_fk): every row
  // they get comes out of the job row the same statement updated, so a job that is not there gets none.
  it('writes for a job that does not exist are refused and leave no rows behind', async () => {
    const ghost: Lease = { jobId: randomUUID(), epoch: 1, owner: 'w' };
    const s = toolStep(ghost.jobId, 0, ['g']);
    await expect(store.recordStep(ghost, s.step, s.calls, [])).rejects.toBeInstanceOf(LeaseLostError);
    await expect(store.markToolRunning(ghost, 'g', 1, [])).rejects.toBeInstanceOf(LeaseLostError);
    await expect(
      store.finish(ghost, { status: 'succeeded', result: 'x' }, [ok('g')], s.step),
    ).rejects.toBeInstanceOf(LeaseLostError);
    const [left] = await db.prisma.$queryRaw<{ n: number }[]>`
      SELECT (SELECT count(*) FROM step WHERE job_id = ${ghost.jobId}::uuid)
           + (SELECT count(*) FROM tool_call WHERE job_id = ${ghost.jobId}::uuid)
           + (SELECT count(*) FROM job_event WHERE job_id = ${ghost.jobId}::uuid)
           + (SELECT count(*) FROM webhook_delivery WHERE job_id = ${ghost.jobId}::uuid) AS n`;
    expect(Number(left!.n)).toBe(0);
  });

  it('racing claims: exactly one worker takes the job, the others find it held; the same for takeovers', async () => {
    const id = await createJob('race');
    // One store per owner, as in separate worker processes (a store never batches two claims of one job).
    const race = (owners: string[], takeoverFrom?: string) =>
      Promise.all(
        owners.map((o) =>
          new PostgresCheckpointStore(db.sql).claim(id, o, 60_000, takeoverFrom ? { takeoverFrom } : {}),
        ),
      );
    const first = await race(['w1', 'w2', 'w3', 'w4', 'w5']);
    const winners = first.filter((r) => r.kind === 'claimed');
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    for (const r of first.filter((x) => x !== winner))
      expect(r).toEqual({ kind: 'held', owner: winner.lease.owner });

    // The winner "dies": five workers race to take over from it, and again exactly one does.
    const second = await race(['w6', 'w7', 'w8', 'w9', 'w10'], winner.lease.owner);
    const heirs = second.filter((r) => r.kind === 'claimed');
    expect(heirs).toHaveLength(1);
    const heir = heirs[0]!;
    expect(heir.lease.epoch).toBe(winner.lease.epoch + 1);
    for (const r of second.filter((x) => x !== heir))
      expect(r).toEqual({ kind: 'held', owner: heir.lease.owner });

    await expect(store.recordStep(winner.lease, toolStep(id, 0, []).step, [], [])).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    await store.recordStep(heir.lease, toolStep(id, 0, []).step, [], []);
    expect((await readJob(id)).steps).toEqual([0]);
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}
