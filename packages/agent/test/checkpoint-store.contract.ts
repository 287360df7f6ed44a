// The one spec every CheckpointStore implementation must pass (the in-memory reference store and the
// Postgres store run it: packages/agent/test/in-memory-store.test.ts, packages/db/test/postgres-checkpoint-store.test.ts).
// The harness reads the job back through the implementation's own storage, not through the store under test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelledError,
  type CheckpointStore,
  type ClaimResult,
  type Lease,
  LeaseLostError,
  type NewToolCall,
  type RecordedStep,
  type RunState,
  type ToolOutcome,
} from '../src/index.ts';

export interface JobView {
  status: string;
  stepsUsed: number;
  toolCallsUsed: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  result: string | undefined;
  error: { code: string; message: string } | undefined;
  /** Step indexes recorded, ascending. */
  steps: number[];
  calls: {
    callId: string;
    status: string;
    attempts: number;
    approval: string | undefined;
    approvalReason: string | undefined;
    result: unknown;
  }[];
}

export interface StoreHarness {
  store: CheckpointStore;
  createJob(task: string, config?: Record<string, unknown>): Promise<string>;
  /** Asks a running job to stop (what the API does on DELETE /jobs/:id). */
  requestCancel(jobId: string): Promise<void>;
  readJob(jobId: string): Promise<JobView>;
  /** A job id that does not exist. */
  missingJobId(): string;
  close(): Promise<void>;
}

export interface ContractOptions {
  /** Tests this implementation is known to fail: title → the bug. They run as `it.fails`. */
  knownBugs?: Record<string, string>;
}

const TIMEOUT = 60_000;

const step = (index: number, over: Partial<RecordedStep> = {}): RecordedStep => ({
  index,
  text: `step ${index}`,
  toolCalls: [],
  stopReason: 'end_turn',
  usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
  model: 'scripted',
  costUsd: 0,
  ...over,
});

/** A step with tool calls, and the NewToolCalls recorded with it. */
function toolStep(
  jobId: string,
  index: number,
  calls: { id: string; name: string; input: unknown }[],
  over: Partial<RecordedStep> = {},
): [RecordedStep, NewToolCall[]] {
  return [
    step(index, { toolCalls: calls, stopReason: 'tool_use', ...over }),
    calls.map((c, position) => ({
      callId: c.id,
      position,
      name: c.name,
      input: c.input,
      idempotencyKey: `aq_${jobId}_${index}_${position}`,
    })),
  ];
}

const ok = (callId: string, content: string, attempts = 1): ToolOutcome => ({
  callId,
  status: 'succeeded',
  result: { content, structured: { content } },
  attempts,
});

const bad = (callId: string, content: string, attempts = 1): ToolOutcome => ({
  callId,
  status: 'failed',
  result: { content, isError: true },
  attempts,
});

function claimed(result: ClaimResult): { lease: Lease; state: RunState } {
  if (result.kind !== 'claimed')
    throw new Error(`expected the job to be claimed, got ${JSON.stringify(result)}`);
  return result;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the write to be refused, but it succeeded');
}

export function checkpointStoreContract(
  name: string,
  makeHarness: () => Promise<StoreHarness>,
  options: ContractOptions = {},
): void {
  describe(`CheckpointStore contract: ${name}`, () => {
    let h: StoreHarness;
    beforeAll(async () => {
      h = await makeHarness();
    }, TIMEOUT);
    afterAll(async () => {
      await h?.close();
    });

    const test = (title: string, fn: () => Promise<void>) => {
      const bug = options.knownBugs?.[title];
      if (bug) it.fails(`${title} [known bug: ${bug}]`, fn);
      else it(title, fn);
    };

    /** Claims as `owner`; a lease still held by another owner is taken over, as if that worker had died. */
    const claim = async (jobId: string, owner = 'w1', timeoutMs = 60_000) => {
      const first = await h.store.claim(jobId, owner, timeoutMs);
      if (first.kind !== 'held') return claimed(first);
      return claimed(await h.store.claim(jobId, owner, timeoutMs, { takeoverFrom: first.owner }));
    };

    test('a lease held by another owner is reported (held), and only taken over from that owner', async () => {
      const id = await h.createJob('held lease');
      const first = claimed(await h.store.claim(id, 'alive', 60_000));
      expect(await h.store.claim(id, 'other', 60_000)).toEqual({ kind: 'held', owner: 'alive' });
      // Naming some other worker as dead does not take the job from the one that holds it.
      expect(await h.store.claim(id, 'other', 60_000, { takeoverFrom: 'someone-else' })).toEqual({
        kind: 'held',
        owner: 'alive',
      });
      // The holder may claim its own job again (a new epoch), and a dead holder's job is taken over.
      const again = claimed(await h.store.claim(id, 'alive', 60_000));
      expect(again.lease.epoch).toBeGreaterThan(first.lease.epoch);
      const taken = claimed(await h.store.claim(id, 'other', 60_000, { takeoverFrom: 'alive' }));
      expect(taken.lease.epoch).toBeGreaterThan(again.lease.epoch);
      expect(await rejection(h.store.finish(again.lease, { status: 'cancelled' }, []))).toBeInstanceOf(
        LeaseLostError,
      );
    });

    test('claim returns the job state, marks it running and bumps the lease epoch', async () => {
      const id = await h.createJob('summarise the news', { max_steps: 7, tools: ['echo'] });
      const before = Date.now();
      const first = await claim(id, 'worker-a', 60_000);
      expect(first.lease).toEqual({ jobId: id, epoch: expect.any(Number), owner: 'worker-a' });
      expect(first.state.steps).toEqual([]);
      expect(first.state.toolCalls).toEqual([]);
      expect(first.state.job).toMatchObject({
        id,
        task: 'summarise the news',
        config: { max_steps: 7, tools: ['echo'] },
        status: 'running',
        stepsUsed: 0,
        toolCallsUsed: 0,
        costUsd: 0,
        cancelRequested: false,
        usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      });
      const deadline = first.state.job.deadlineAt!.getTime();
      expect(deadline).toBeGreaterThanOrEqual(before + 60_000 - 1_000);
      expect(deadline).toBeLessThanOrEqual(Date.now() + 60_000 + 1_000);
      expect((await h.readJob(id)).status).toBe('running');

      const second = await claim(id, 'worker-b', 5_000);
      expect(second.lease.epoch).toBeGreaterThan(first.lease.epoch);
      expect(second.lease.owner).toBe('worker-b');
      // The deadline is set once, at the first start.
      expect(second.state.job.deadlineAt!.getTime()).toBe(deadline);
    });

    test('claim of a missing job is not_runnable (missing)', async () => {
      expect(await h.store.claim(h.missingJobId(), 'w1', 60_000)).toEqual({
        kind: 'not_runnable',
        status: 'missing',
      });
    });

    test('claim of a finished or waiting job is not_runnable with its status', async () => {
      const ends = [
        { status: 'succeeded', result: 'done' },
        { status: 'failed', error: { code: 'tool_error', message: 'boom' } },
        { status: 'cancelled' },
      ] as const;
      for (const end of ends) {
        const id = await h.createJob(`ends ${end.status}`);
        const { lease } = await claim(id);
        await h.store.finish(lease, end, []);
        const view = await h.readJob(id);
        expect(view.status).toBe(end.status);
        expect(view.result).toBe(end.status === 'succeeded' ? 'done' : undefined);
        expect(view.error).toEqual(
          end.status === 'failed' ? { code: 'tool_error', message: 'boom' } : undefined,
        );
        expect(await h.store.claim(id, 'w2', 60_000)).toEqual({ kind: 'not_runnable', status: end.status });
      }
    });

    test('recordStep then claim gives back the step and its pending tool calls with the same ids, inputs and keys', async () => {
      const id = await h.createJob('use tools');
      const { lease } = await claim(id);
      const [s0, c0] = toolStep(
        id,
        0,
        [
          {
            id: 'toolu_01A',
            name: 'search',
            input: { q: 'durable agents', filters: { year: 2025, tags: ['a', 'b'] } },
          },
          {
            id: 'call-2',
            name: 'fetch',
            input: { url: 'https://example.com/x?y=1', n: 1.5, flag: false, none: null },
          },
        ],
        {
          text: 'let me look',
          usage: { inputTokens: 12, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0 },
        },
      );
      await h.store.recordStep(lease, s0, c0, []);

      const again = await claim(id, 'w2');
      expect(again.state.steps).toEqual([s0]);
      expect(again.state.toolCalls).toEqual(
        c0.map((c) => ({
          ...c,
          stepIndex: 0,
          status: 'pending',
          result: undefined,
          attempts: 0,
          approval: undefined,
          approvalReason: undefined,
        })),
      );
      expect(again.state.job.stepsUsed).toBe(1);
      const view = await h.readJob(id);
      expect(view.steps).toEqual([0]);
      expect(view.calls.map((c) => [c.callId, c.status])).toEqual([
        ['toolu_01A', 'pending'],
        ['call-2', 'pending'],
      ]);
    });

    test('steps and tool calls come back in order across several steps', async () => {
      const id = await h.createJob('many steps');
      const { lease } = await claim(id);
      const recorded: RecordedStep[] = [];
      for (let i = 0; i < 5; i++) {
        const [s, c] = toolStep(id, i, [
          { id: `c${i}a`, name: 'a', input: { i } },
          { id: `c${i}b`, name: 'b', input: { i } },
        ]);
        await h.store.recordStep(lease, s, c, i > 0 ? [ok(`c${i - 1}a`, 'x'), ok(`c${i - 1}b`, 'y')] : []);
        recorded.push(s);
      }
      await h.store.recordStep(lease, step(5, { text: 'final' }), [], [ok('c4a', 'x'), ok('c4b', 'y')]);
      recorded.push(step(5, { text: 'final' }));
      const { state } = await claim(id, 'w2');
      expect(state.steps).toEqual(recorded);
      expect(state.toolCalls.map((c) => `${c.stepIndex}.${c.position}:${c.callId}:${c.status}`)).toEqual(
        [0, 1, 2, 3, 4].flatMap((i) => [`${i}.0:c${i}a:succeeded`, `${i}.1:c${i}b:succeeded`]),
      );
    });

    test('markToolRunning and recordToolOutcome take a call through its lifecycle, keeping the attempts', async () => {
      const id = await h.createJob('lifecycle');
      let { lease } = await claim(id);
      const [s0, c0] = toolStep(id, 0, [
        { id: 'ok-call', name: 'charge', input: { amount: 5 } },
        { id: 'bad-call', name: 'charge', input: { amount: 6 } },
      ]);
      await h.store.recordStep(lease, s0, c0, []);

      await h.store.markToolRunning(lease, 'ok-call', 1, []);
      let call = (await claim(id)).state.toolCalls[0]!;
      expect([call.status, call.attempts, call.result]).toEqual(['running', 1, undefined]);

      ({ lease } = await claim(id));
      await h.store.markToolRunning(lease, 'ok-call', 2, []);
      const second = await claim(id);
      lease = second.lease;
      call = second.state.toolCalls[0]!;
      expect([call.status, call.attempts]).toEqual(['running', 2]);
      expect(call.idempotencyKey).toBe(c0[0]!.idempotencyKey);

      await h.store.recordToolOutcome(lease, ok('ok-call', 'charged', 2));
      await h.store.markToolRunning(lease, 'bad-call', 1, []);
      await h.store.recordToolOutcome(lease, bad('bad-call', 'card declined', 1));

      const { state } = await claim(id);
      expect(
        state.toolCalls.map((c) => ({
          id: c.callId,
          status: c.status,
          attempts: c.attempts,
          result: c.result,
        })),
      ).toEqual([
        {
          id: 'ok-call',
          status: 'succeeded',
          attempts: 2,
          result: { content: 'charged', structured: { content: 'charged' } },
        },
        {
          id: 'bad-call',
          status: 'failed',
          attempts: 1,
          result: { content: 'card declined', isError: true },
        },
      ]);
      expect(state.job.toolCallsUsed).toBe(2);
      expect((await h.readJob(id)).toolCallsUsed).toBe(2);
    });

    test('flushed outcomes are applied together with the next write (recordStep, markToolRunning, finish)', async () => {
      const id = await h.createJob('flush');
      const { lease } = await claim(id);
      const [s0, c0] = toolStep(id, 0, [
        { id: 'safe-1', name: 'read', input: { p: 1 } },
        { id: 'safe-2', name: 'read', input: { p: 2 } },
        { id: 'side-3', name: 'write', input: { p: 3 } },
      ]);
      await h.store.recordStep(lease, s0, c0, []);

      // Two safe outcomes ride along with the "running" mark of the next call.
      await h.store.markToolRunning(lease, 'side-3', 1, [ok('safe-1', 'one'), bad('safe-2', 'two', 3)]);
      let view = await h.readJob(id);
      expect(view.calls.map((c) => [c.callId, c.status, c.attempts])).toEqual([
        ['safe-1', 'succeeded', 1],
        ['safe-2', 'failed', 3],
        ['side-3', 'running', 1],
      ]);
      expect(view.toolCallsUsed).toBe(2);
      await h.store.recordToolOutcome(lease, ok('side-3', 'three'));

      // A safe outcome flushed with the next step.
      const [s1, c1] = toolStep(id, 1, [{ id: 'safe-4', name: 'read', input: { p: 4 } }]);
      await h.store.recordStep(lease, s1, c1, []);
      await h.store.recordStep(lease, step(2, { text: 'the answer' }), [], [ok('safe-4', 'four')]);
      view = await h.readJob(id);
      expect(view.steps).toEqual([0, 1, 2]);
      expect(view.calls.find((c) => c.callId === 'safe-4')).toMatchObject({
        status: 'succeeded',
        result: { content: 'four' },
      });
      expect(view.toolCallsUsed).toBe(4);

      // And with finish.
      const id2 = await h.createJob('flush at finish');
      const l2 = (await claim(id2)).lease;
      const [t0, d0] = toolStep(id2, 0, [{ id: 'last', name: 'read', input: {} }]);
      await h.store.recordStep(l2, t0, d0, []);
      await h.store.finish(l2, { status: 'succeeded', result: 'ok' }, [ok('last', 'read it')]);
      const v2 = await h.readJob(id2);
      expect(v2.status).toBe('succeeded');
      expect(v2.calls).toMatchObject([
        { callId: 'last', status: 'succeeded', result: { content: 'read it' } },
      ]);
      expect(v2.toolCallsUsed).toBe(1);
    });

    test('a stale lease (after a second claim) gets LeaseLostError on every write and writes nothing', async () => {
      const id = await h.createJob('stale');
      const old = (await claim(id, 'old')).lease;
      const [s0, c0] = toolStep(id, 0, [
        { id: 'a', name: 't', input: {} },
        { id: 'b', name: 't', input: {} },
      ]);
      await h.store.recordStep(old, s0, c0, []);
      const fresh = (await claim(id, 'new')).lease;
      const before = await h.readJob(id);

      const [s1, c1] = toolStep(id, 1, [{ id: 'c', name: 't', input: {} }]);
      const writes: [string, () => Promise<void>][] = [
        ['recordStep', () => h.store.recordStep(old, s1, c1, [ok('a', 'x')])],
        ['markToolRunning', () => h.store.markToolRunning(old, 'a', 1, [ok('b', 'y')])],
        ['recordToolOutcome', () => h.store.recordToolOutcome(old, ok('a', 'x'))],
        ['finish succeeded', () => h.store.finish(old, { status: 'succeeded', result: 'r' }, [ok('b', 'y')])],
        [
          'finish failed',
          () => h.store.finish(old, { status: 'failed', error: { code: 'timeout', message: 'm' } }, []),
        ],
        ['finish cancelled', () => h.store.finish(old, { status: 'cancelled' }, [])],
        [
          'finish waiting_approval',
          () =>
            h.store.finish(
              old,
              { status: 'waiting_approval', callId: 'a', reason: 'r', expiresAt: new Date() },
              [],
            ),
        ],
      ];
      for (const [what, write] of writes) {
        const error = await rejection(write());
        expect(error, what).toBeInstanceOf(LeaseLostError);
        expect((error as LeaseLostError).jobId, what).toBe(id);
      }
      expect(await h.readJob(id)).toEqual(before);

      // A stale release leaves the new owner alone (it may refuse with LeaseLostError or do nothing).
      const released = await h.store.release(old).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (released !== undefined) expect(released).toBeInstanceOf(LeaseLostError);
      await h.store.recordStep(fresh, s1, c1, [ok('a', 'x')]);
      const after = await h.readJob(id);
      expect(after.steps).toEqual([0, 1]);
      expect(after.calls.find((c) => c.callId === 'a')?.status).toBe('succeeded');
    });

    test('a requested cancel makes writes throw CancelledError, but finish(cancelled) succeeds', async () => {
      const id = await h.createJob('cancel me');
      let { lease } = await claim(id);
      const [s0, c0] = toolStep(id, 0, [{ id: 'x', name: 't', input: {} }]);
      await h.store.recordStep(lease, s0, c0, []);
      await h.requestCancel(id);
      const before = await h.readJob(id);
      expect(before.status).toBe('running');

      const [s1] = toolStep(id, 1, []);
      const writes: [string, () => Promise<void>][] = [
        ['recordStep', () => h.store.recordStep(lease, s1, [], [ok('x', 'late')])],
        ['markToolRunning', () => h.store.markToolRunning(lease, 'x', 1, [])],
        ['recordToolOutcome', () => h.store.recordToolOutcome(lease, ok('x', 'late'))],
      ];
      for (const [what, write] of writes) {
        const error = await rejection(write());
        expect(error, what).toBeInstanceOf(CancelledError);
        expect((error as CancelledError).jobId, what).toBe(id);
      }
      expect(await h.readJob(id)).toEqual(before);

      // A worker that (re)claims it sees the request.
      const again = await claim(id, 'w2');
      expect(again.state.job.cancelRequested).toBe(true);
      // The old lease is stale now: lost beats cancelled.
      expect(await rejection(h.store.recordStep(lease, s1, [], []))).toBeInstanceOf(LeaseLostError);
      lease = again.lease;

      await h.store.finish(lease, { status: 'cancelled' }, []);
      expect((await h.readJob(id)).status).toBe('cancelled');
      expect(await h.store.claim(id, 'w3', 60_000)).toEqual({ kind: 'not_runnable', status: 'cancelled' });
    });

    test('finish(waiting_approval) puts the call back to pending with a pending approval', async () => {
      const id = await h.createJob('needs a human');
      const { lease } = await claim(id);
      const [s0, c0] = toolStep(id, 0, [
        { id: 'done', name: 'read', input: {} },
        { id: 'risky', name: 'transfer', input: { amount: 100 } },
      ]);
      await h.store.recordStep(lease, s0, c0, []);
      await h.store.markToolRunning(lease, 'risky', 1, []);
      const expiresAt = new Date(Date.now() + 3_600_000);
      await h.store.finish(
        lease,
        { status: 'waiting_approval', callId: 'risky', reason: 'transfer needs approval', expiresAt },
        [ok('done', 'read')],
      );
      const view = await h.readJob(id);
      expect(view.status).toBe('waiting_approval');
      expect(view.calls).toMatchObject([
        { callId: 'done', status: 'succeeded', approval: undefined },
        {
          callId: 'risky',
          status: 'pending',
          approval: 'pending',
          approvalReason: 'transfer needs approval',
          attempts: 1,
        },
      ]);
      expect(await h.store.claim(id, 'w2', 60_000)).toEqual({
        kind: 'not_runnable',
        status: 'waiting_approval',
      });
    });

    test('release, then a claim by another owner works and sees everything recorded', async () => {
      const id = await h.createJob('hand over');
      const first = await claim(id, 'leaving');
      const [s0, c0] = toolStep(id, 0, [{ id: 'q', name: 't', input: { v: 1 } }]);
      await h.store.recordStep(first.lease, s0, c0, []);
      await h.store.markToolRunning(first.lease, 'q', 1, []);
      await h.store.release(first.lease);
      const view = await h.readJob(id);
      expect(view.status).toBe('running');
      expect(view.steps).toEqual([0]);

      const next = await claim(id, 'arriving');
      expect(next.lease.owner).toBe('arriving');
      expect(next.lease.epoch).toBeGreaterThan(first.lease.epoch);
      expect(next.state.steps).toEqual([s0]);
      expect(next.state.toolCalls[0]).toMatchObject({ callId: 'q', status: 'running', attempts: 1 });
      expect(await rejection(h.store.recordToolOutcome(first.lease, ok('q', 'x')))).toBeInstanceOf(
        LeaseLostError,
      );
      await h.store.recordToolOutcome(next.lease, ok('q', 'x'));
      await h.store.finish(next.lease, { status: 'succeeded', result: 'handed over' }, []);
      expect(await h.readJob(id)).toMatchObject({
        status: 'succeeded',
        result: 'handed over',
        toolCallsUsed: 1,
      });
    });

    const usage0 = { inputTokens: 100, outputTokens: 40, cacheReadTokens: 30, cacheWriteTokens: 20 };
    const usage1 = { inputTokens: 250, outputTokens: 15, cacheReadTokens: 7, cacheWriteTokens: 0 };

    async function twoStepsThreeCalls(): Promise<string> {
      const id = await h.createJob('count');
      const { lease } = await claim(id);
      const [s0, c0] = toolStep(
        id,
        0,
        [
          { id: 'k1', name: 't', input: {} },
          { id: 'k2', name: 't', input: {} },
          { id: 'k3', name: 't', input: {} },
        ],
        { usage: usage0, costUsd: 0.00125 },
      );
      await h.store.recordStep(lease, s0, c0, []);
      await h.store.markToolRunning(lease, 'k1', 1, []);
      await h.store.recordToolOutcome(lease, ok('k1', 'a'));
      await h.store.markToolRunning(lease, 'k3', 1, [ok('k2', 'b')]);
      await h.store.recordToolOutcome(lease, bad('k3', 'c', 1));
      await h.store.recordStep(lease, step(1, { usage: usage1, costUsd: 0.0035 }), [], []);
      return id;
    }

    test('counters add up: steps, input/output tokens, cost and tool calls', async () => {
      const id = await twoStepsThreeCalls();
      const view = await h.readJob(id);
      expect(view).toMatchObject({ stepsUsed: 2, toolCallsUsed: 3, inputTokens: 350, outputTokens: 55 });
      expect(view.costUsd).toBeCloseTo(0.00475, 10);
      const { state } = await claim(id, 'w2');
      expect(state.job).toMatchObject({ stepsUsed: 2, toolCallsUsed: 3 });
      expect(state.job.usage).toMatchObject({ inputTokens: 350, outputTokens: 55 });
      expect(state.job.costUsd).toBeCloseTo(0.00475, 10);
      // Per-step usage and cost are kept with each step.
      expect(state.steps.map((s) => [s.usage, s.costUsd])).toEqual([
        [usage0, 0.00125],
        [usage1, 0.0035],
      ]);
    });

    test('counters add up: cache read/write tokens', async () => {
      const id = await twoStepsThreeCalls();
      expect(await h.readJob(id)).toMatchObject({ cacheReadTokens: 37, cacheWriteTokens: 20 });
      const { state } = await claim(id, 'w2');
      expect(state.job.usage).toEqual({
        inputTokens: 350,
        outputTokens: 55,
        cacheReadTokens: 37,
        cacheWriteTokens: 20,
      });
    });
  });
}
