// Phase 3, checkpoint overhead: the PostgresCheckpointStore writes a tool call adds, timed directly on a real
// (fresh, migrated) database from one caller, so it is the latency of the writes themselves.
//
// Each iteration does, on one of `jobs` claimed jobs (rotating):
//   A  recordStep with no tool call and nothing to flush                 (a step without tools)
//   D  recordStep with one non-safe call, nothing to flush                (the step that asks for it)
//   C  markToolRunning + recordToolOutcome for that call                  (2 more commits)
//   B  recordStep with one safe call + the previous safe call's outcome   (the safe steady state: 1 commit)
// so per tool call: safe marginal = B − A (same commit count, a bigger statement);
// non-safe marginal = (D − A) + C. Paired per iteration, then percentiles.
import type { Lease, NewToolCall, RecordedStep, ToolOutcome } from '@agentq/agent';
import { JobsRepo, PostgresCheckpointStore } from '@agentq/db';
import { createTestDatabase } from '@agentq/db/testing';
import { type Distribution, distribution, nowMs } from './stats.ts';

export interface CheckpointResult {
  iterations: number;
  jobs: number;
  /** All in ms. */
  claim: Distribution;
  recordStepBare: Distribution;
  recordStepSafeCall: Distribution;
  recordStepKeyedCall: Distribution;
  markToolRunning: Distribution;
  recordToolOutcome: Distribution;
  finish: Distribution;
  /** Per safe tool call: B − A. */
  safeCallOverhead: Distribution;
  /** Per non-safe tool call: (D − A) + mark + outcome. */
  keyedCallOverhead: Distribution;
}

interface BenchRun {
  lease: Lease;
  index: number;
  calls: number;
  pending: ToolOutcome | undefined;
}

const zero = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

function step(run: BenchRun, calls: NewToolCall[]): RecordedStep {
  return {
    index: run.index++,
    text: calls.length ? '' : 'thinking about it',
    toolCalls: calls.map((c) => ({ id: c.callId, name: c.name, input: c.input })),
    stopReason: calls.length ? 'tool_use' : 'end_turn',
    usage: { ...zero, inputTokens: 120, outputTokens: 20 },
    model: 'scripted',
    costUsd: 0,
  };
}

function newCall(run: BenchRun, name: string, input: unknown): NewToolCall {
  const n = run.calls++;
  return {
    callId: `call_${n}`,
    position: 0,
    name,
    input,
    idempotencyKey: `aq_${run.lease.jobId}_${n}_0`,
  };
}

const outcome = (callId: string, content: string): ToolOutcome => ({
  callId,
  status: 'succeeded',
  result: { content, structured: { utc: content, unixMs: Date.parse(content) } },
  attempts: 1,
});

export async function runCheckpointBench(opts: {
  iterations: number;
  jobs?: number;
  log: (line: string) => void;
}): Promise<CheckpointResult> {
  const jobCount = opts.jobs ?? 20;
  const db = await createTestDatabase('bench_ckpt');
  try {
    const repo = new JobsRepo(db);
    await repo.ensureTenant('bench');
    const store = new PostgresCheckpointStore(db.sql);
    const runs: BenchRun[] = [];
    const claims: number[] = [];
    for (let j = 0; j < jobCount; j++) {
      const created = await repo.create({
        tenantId: 'bench',
        task: 'checkpoint bench',
        model: 'scripted',
        config: { max_steps: 1_000_000 },
      });
      const t = nowMs();
      const claim = await store.claim(created.job.job_id, 'bench-owner', 3_600_000);
      claims.push(nowMs() - t);
      if (claim.kind !== 'claimed') throw new Error(`could not claim bench job: ${JSON.stringify(claim)}`);
      runs.push({ lease: claim.lease, index: 0, calls: 0, pending: undefined });
    }

    const bare: number[] = [];
    const safe: number[] = [];
    const keyedStep: number[] = [];
    const mark: number[] = [];
    const recordOutcome: number[] = [];
    const safeOverhead: number[] = [];
    const keyedOverhead: number[] = [];
    const warmup = Math.min(100, Math.ceil(opts.iterations / 10));
    for (let i = 0; i < warmup + opts.iterations; i++) {
      const run = runs[i % runs.length]!;
      const record = i >= warmup;
      let t = nowMs();
      await store.recordStep(run.lease, step(run, []), [], []);
      const a = nowMs() - t;

      const k = newCall(run, 'write_file', { path: `notes/${i}.txt`, content: `iteration ${i}` });
      t = nowMs();
      await store.recordStep(run.lease, step(run, [k]), [k], []);
      const d = nowMs() - t;
      t = nowMs();
      await store.markToolRunning(run.lease, k.callId, 1, []);
      const m = nowMs() - t;
      t = nowMs();
      await store.recordToolOutcome(run.lease, outcome(k.callId, `wrote ${i}`));
      const o = nowMs() - t;

      const s = newCall(run, 'current_time', i % 2 ? {} : { timezone: 'UTC' });
      const flush = run.pending ? [run.pending] : [];
      t = nowMs();
      await store.recordStep(run.lease, step(run, [s]), [s], flush);
      const b = nowMs() - t;
      run.pending = outcome(s.callId, new Date().toISOString());

      if (record && flush.length === 1) {
        bare.push(a);
        safe.push(b);
        keyedStep.push(d);
        mark.push(m);
        recordOutcome.push(o);
        safeOverhead.push(b - a);
        keyedOverhead.push(d - a + m + o);
      }
    }
    const finishes: number[] = [];
    for (const run of runs) {
      const t = nowMs();
      await store.finish(
        run.lease,
        { status: 'succeeded', result: 'done' },
        run.pending ? [run.pending] : [],
      );
      finishes.push(nowMs() - t);
    }
    opts.log(`  ${bare.length} iterations on ${jobCount} jobs`);
    return {
      iterations: bare.length,
      jobs: jobCount,
      claim: distribution(claims),
      recordStepBare: distribution(bare),
      recordStepSafeCall: distribution(safe),
      recordStepKeyedCall: distribution(keyedStep),
      markToolRunning: distribution(mark),
      recordToolOutcome: distribution(recordOutcome),
      finish: distribution(finishes),
      safeCallOverhead: distribution(safeOverhead),
      keyedCallOverhead: distribution(keyedOverhead),
    };
  } finally {
    await db.drop();
  }
}
