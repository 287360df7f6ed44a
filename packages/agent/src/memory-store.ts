// An in-memory CheckpointStore: the reference the Postgres store is compared with in the shared spec,
// and a fast store for unit tests of the loop. Not for production (nothing survives the process).
import type {
  CheckpointStore,
  ClaimOptions,
  ClaimResult,
  JobSnapshot,
  Lease,
  NewToolCall,
  RecordedStep,
  RecordedToolCall,
  RunEnd,
  RunState,
  ToolOutcome,
} from './checkpoint.ts';
import { isTerminal } from './checkpoint.ts';
import { CancelledError, LeaseLostError } from './errors.ts';
import { zeroUsage } from './model.ts';

interface StoredJob {
  job: JobSnapshot;
  epoch: number;
  owner: string | undefined;
  steps: RecordedStep[];
  calls: RecordedToolCall[];
  result?: string;
  end?: RunEnd;
  writes: number;
}

export class InMemoryCheckpointStore implements CheckpointStore {
  readonly jobs = new Map<string, StoredJob>();

  createJob(
    id: string,
    task: string,
    options: { tenantId?: string; config?: Record<string, unknown> } = {},
  ): void {
    this.jobs.set(id, {
      job: {
        id,
        tenantId: options.tenantId ?? 'default',
        model: 'scripted',
        config: options.config ?? {},
        userId: undefined,
        sessionId: undefined,
        task,
        status: 'queued',
        stepsUsed: 0,
        toolCallsUsed: 0,
        usage: zeroUsage(),
        costUsd: 0,
        cancelRequested: false,
        deadlineAt: undefined,
      },
      epoch: 0,
      owner: undefined,
      steps: [],
      calls: [],
      writes: 0,
    });
  }

  async claim(
    jobId: string,
    owner: string,
    jobTimeoutMs: number,
    options: ClaimOptions = {},
  ): Promise<ClaimResult> {
    const stored = this.jobs.get(jobId);
    if (!stored) return { kind: 'not_runnable', status: 'missing' };
    if (isTerminal(stored.job.status) || stored.job.status === 'waiting_approval') {
      return { kind: 'not_runnable', status: stored.job.status };
    }
    if (stored.owner !== undefined && stored.owner !== owner && stored.owner !== options.takeoverFrom) {
      return { kind: 'held', owner: stored.owner };
    }
    stored.epoch += 1;
    stored.owner = owner;
    stored.job.status = 'running';
    stored.job.deadlineAt ??= new Date(Date.now() + jobTimeoutMs);
    return {
      kind: 'claimed',
      lease: { jobId, epoch: stored.epoch, owner },
      state: structuredClone(this.view(stored)),
    };
  }

  async recordStep(
    lease: Lease,
    step: RecordedStep,
    calls: NewToolCall[],
    flush: ToolOutcome[],
  ): Promise<void> {
    const s = this.write(lease);
    this.applyOutcomes(s, flush);
    this.addStep(s, step, calls);
  }

  private addStep(s: StoredJob, step: RecordedStep, calls: NewToolCall[]): void {
    if (s.steps.some((x) => x.index === step.index)) throw new Error(`step ${step.index} already recorded`);
    s.steps.push(structuredClone(step));
    for (const c of calls) {
      s.calls.push({
        ...structuredClone(c),
        stepIndex: step.index,
        status: 'pending',
        result: undefined,
        attempts: 0,
        approval: undefined,
        approvalReason: undefined,
      });
    }
    s.job.stepsUsed += 1;
    s.job.usage.inputTokens += step.usage.inputTokens;
    s.job.usage.outputTokens += step.usage.outputTokens;
    s.job.usage.cacheReadTokens += step.usage.cacheReadTokens;
    s.job.usage.cacheWriteTokens += step.usage.cacheWriteTokens;
    s.job.costUsd += step.costUsd;
  }

  async markToolRunning(lease: Lease, callId: string, attempt: number, flush: ToolOutcome[]): Promise<void> {
    const s = this.write(lease);
    this.applyOutcomes(s, flush);
    const call = this.call(s, callId);
    call.status = 'running';
    call.attempts = attempt;
  }

  async recordToolOutcome(lease: Lease, outcome: ToolOutcome): Promise<void> {
    this.applyOutcomes(this.write(lease), [outcome]);
  }

  async finish(lease: Lease, end: RunEnd, flush: ToolOutcome[], finalStep?: RecordedStep): Promise<void> {
    const s = this.write(lease, { allowCancelled: finalStep === undefined });
    this.applyOutcomes(s, flush);
    if (finalStep) this.addStep(s, finalStep, []);
    s.end = end;
    s.owner = undefined;
    s.job.status = end.status;
    if (end.status === 'waiting_approval') {
      const call = this.call(s, end.callId);
      call.status = 'pending';
      call.approval = 'pending';
      call.approvalReason = end.reason;
    }
  }

  async release(lease: Lease): Promise<void> {
    const s = this.write(lease, { allowCancelled: true });
    s.epoch += 1;
    s.owner = undefined;
  }

  // Test helpers ------------------------------------------------------------------------------

  requestCancel(jobId: string): void {
    const s = this.jobs.get(jobId);
    if (s) s.job.cancelRequested = true;
  }

  decide(
    jobId: string,
    callId: string,
    approval: 'approved' | 'rejected' | 'expired',
    reason?: string,
  ): void {
    const s = this.jobs.get(jobId)!;
    const call = this.call(s, callId);
    call.approval = approval;
    call.approvalReason = reason;
    if (approval !== 'expired') s.job.status = 'queued';
  }

  private view(s: StoredJob): RunState {
    return { job: s.job, steps: s.steps, toolCalls: s.calls };
  }

  private write(lease: Lease, opts: { allowCancelled?: boolean } = {}): StoredJob {
    const s = this.jobs.get(lease.jobId);
    if (!s || s.epoch !== lease.epoch) throw new LeaseLostError(lease.jobId);
    if (s.job.cancelRequested && !opts.allowCancelled) throw new CancelledError(lease.jobId);
    s.writes += 1;
    return s;
  }

  private call(s: StoredJob, callId: string): RecordedToolCall {
    const call = s.calls.find((c) => c.callId === callId);
    if (!call) throw new Error(`unknown call ${callId}`);
    return call;
  }

  private applyOutcomes(s: StoredJob, outcomes: ToolOutcome[]): void {
    for (const o of outcomes) {
      const call = this.call(s, o.callId);
      call.status = o.status;
      call.result = structuredClone(o.result);
      call.attempts = o.attempts;
      s.job.toolCallsUsed += 1;
    }
  }
}
