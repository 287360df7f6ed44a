// CheckpointStore on Postgres. Each method is one fenced statement (see job-write.ts): it only applies
// while the job's lease_epoch is the caller's, so a worker that lost the job can never write over the
// newer owner's checkpoint.
import {
  CancelledError,
  type CheckpointStore,
  type ClaimResult,
  type JobStatus,
  type Lease,
  LeaseLostError,
  type NewToolCall,
  type RecordedStep,
  type RecordedToolCall,
  type RunEnd,
  type StopReason,
  type ToolOutcome,
  type ToolResult,
} from '@agentq/agent';
import type { Prisma as Client } from './client.ts';
import { Prisma } from './generated/prisma/client.ts';
import { type JobEventInput, type JobWrite, webhookEventFor, writeJob } from './job-write.ts';

/** Called with the delivery ids a status change wrote, after its commit (the worker enqueues them). */
export type DeliveriesWritten = (deliveryIds: string[]) => void | Promise<void>;

export interface CheckpointStoreHooks {
  /** Called with the delivery ids a status change wrote, after its commit (the worker enqueues them). */
  onDeliveries?: DeliveriesWritten;
  /** Called after every committed change of a job (the worker publishes a "job changed" hint). */
  onWrite?: (jobId: string) => void;
}

export class PostgresCheckpointStore implements CheckpointStore {
  private readonly onDeliveries: DeliveriesWritten;
  private readonly onWrite: (jobId: string) => void;

  constructor(
    private readonly prisma: Client,
    hooks: CheckpointStoreHooks = {},
  ) {
    this.onDeliveries = hooks.onDeliveries ?? (() => {});
    this.onWrite = hooks.onWrite ?? (() => {});
  }

  async claim(jobId: string, owner: string, jobTimeoutMs: number): Promise<ClaimResult> {
    const claimed = await this.prisma.$queryRaw<JobRow[]>`
      WITH prev AS (SELECT id, status FROM job WHERE id = ${jobId}::uuid FOR UPDATE),
      j AS (
        UPDATE job SET
          lease_epoch = job.lease_epoch + 1,
          lease_owner = ${owner},
          status = 'running',
          started_at = coalesce(job.started_at, now()),
          deadline_at = coalesce(job.deadline_at, now() + make_interval(secs => ${jobTimeoutMs / 1000})),
          event_seq = job.event_seq + CASE WHEN prev.status = 'queued' THEN 1 ELSE 0 END,
          updated_at = now()
        FROM prev
        WHERE job.id = prev.id AND prev.status IN ('queued', 'running')
        RETURNING job.*
      ),
      ev AS (
        INSERT INTO job_event (job_id, seq, type, data)
        SELECT j.id, j.event_seq, 'status', agentq_status_json(ROW(j.*)::job)
        FROM j JOIN prev ON prev.id = j.id WHERE prev.status = 'queued'
      )
      SELECT id::text, tenant_id, user_id, session_id, task, model, config, status, steps_used, tool_calls_used,
             input_tokens::float8 AS input_tokens, output_tokens::float8 AS output_tokens,
             cache_read_tokens::float8 AS cache_read_tokens, cache_write_tokens::float8 AS cache_write_tokens,
             cost_usd::float8 AS cost_usd, lease_epoch, cancel_requested_at, deadline_at
      FROM j`;
    const job = claimed[0];
    if (job) this.onWrite(jobId);
    if (!job) {
      const rows = await this.prisma.$queryRaw<
        { status: JobStatus }[]
      >`SELECT status FROM job WHERE id = ${jobId}::uuid`;
      return { kind: 'not_runnable', status: rows[0]?.status ?? 'missing' };
    }
    // A job that has not recorded a step yet has no tool calls either: nothing more to load.
    const [steps, calls] =
      job.steps_used === 0 ? [[], []] : await Promise.all([this.loadSteps(jobId), this.loadCalls(jobId)]);
    const callsByStep = new Map<number, RecordedToolCall[]>();
    for (const c of calls) callsByStep.set(c.stepIndex, [...(callsByStep.get(c.stepIndex) ?? []), c]);
    return {
      kind: 'claimed',
      lease: { jobId, epoch: job.lease_epoch, owner },
      state: {
        job: {
          id: job.id,
          tenantId: job.tenant_id,
          userId: job.user_id ?? undefined,
          sessionId: job.session_id ?? undefined,
          task: job.task,
          model: job.model,
          config: job.config,
          status: job.status,
          stepsUsed: job.steps_used,
          toolCallsUsed: job.tool_calls_used,
          usage: {
            inputTokens: job.input_tokens,
            outputTokens: job.output_tokens,
            cacheReadTokens: job.cache_read_tokens,
            cacheWriteTokens: job.cache_write_tokens,
          },
          costUsd: job.cost_usd,
          cancelRequested: job.cancel_requested_at !== null,
          deadlineAt: job.deadline_at ?? undefined,
        },
        steps: steps.map((s) => ({
          index: s.index,
          text: s.text,
          stopReason: s.stop_reason as StopReason,
          model: s.model,
          usage: {
            inputTokens: s.input_tokens,
            outputTokens: s.output_tokens,
            cacheReadTokens: s.cache_read_tokens,
            cacheWriteTokens: s.cache_write_tokens,
          },
          costUsd: s.cost_usd,
          ...(s.provider_data === null ? {} : { providerData: s.provider_data }),
          toolCalls: (callsByStep.get(s.index) ?? []).map((c) => ({
            id: c.callId,
            name: c.name,
            input: c.input,
          })),
        })),
        toolCalls: calls,
      },
    };
  }

  async recordStep(
    lease: Lease,
    step: RecordedStep,
    calls: NewToolCall[],
    flush: ToolOutcome[],
  ): Promise<void> {
    const u = step.usage;
    const callRows = calls.map((c) => ({
      call_id: c.callId,
      position: c.position,
      name: c.name,
      input: c.input,
      idempotency_key: c.idempotencyKey,
    }));
    await this.fenced(lease, {
      set: Prisma.sql`steps_used = job.steps_used + 1,
        input_tokens = job.input_tokens + ${u.inputTokens}, output_tokens = job.output_tokens + ${u.outputTokens},
        cache_read_tokens = job.cache_read_tokens + ${u.cacheReadTokens},
        cache_write_tokens = job.cache_write_tokens + ${u.cacheWriteTokens},
        cost_usd = job.cost_usd + ${step.costUsd}`,
      with: [
        Prisma.sql`s AS (
          INSERT INTO step (job_id, index, text, stop_reason, model, input_tokens, output_tokens,
                            cache_read_tokens, cache_write_tokens, cost_usd, provider_data)
          SELECT j.id, ${step.index}, ${step.text}, ${step.stopReason}, ${step.model}, ${u.inputTokens},
                 ${u.outputTokens}, ${u.cacheReadTokens}, ${u.cacheWriteTokens}, ${step.costUsd},
                 ${step.providerData === undefined ? null : JSON.stringify(step.providerData)}::jsonb FROM j)`,
        Prisma.sql`c AS (
          INSERT INTO tool_call (job_id, call_id, step_index, position, name, input, idempotency_key)
          SELECT j.id, x.call_id, ${step.index}, x.position, x.name, coalesce(x.input, '{}'::jsonb), x.idempotency_key
          FROM j, jsonb_to_recordset(${JSON.stringify(callRows)}::jsonb)
            AS x(call_id text, position int, name text, input jsonb, idempotency_key text))`,
      ],
      events: [
        {
          type: 'step',
          data: {
            index: step.index,
            text: step.text,
            stop_reason: step.stopReason,
            model: step.model,
            usage: { input_tokens: u.inputTokens, output_tokens: u.outputTokens },
            cost_usd: step.costUsd,
            tool_calls: calls.map((c) => ({ call_id: c.callId, name: c.name, input: c.input })),
          },
        },
      ],
      flush,
    });
  }

  async markToolRunning(lease: Lease, callId: string, attempt: number, flush: ToolOutcome[]): Promise<void> {
    await this.fenced(lease, {
      with: [
        Prisma.sql`r AS (
          UPDATE tool_call SET status = 'running', attempts = ${attempt}, started_at = coalesce(tool_call.started_at, now())
          FROM j WHERE tool_call.job_id = j.id AND tool_call.call_id = ${callId})`,
      ],
      events: [{ type: 'tool_call', data: { call_id: callId, status: 'running', attempt } }],
      flush,
    });
  }

  async recordToolOutcome(lease: Lease, outcome: ToolOutcome): Promise<void> {
    await this.fenced(lease, { flush: [outcome] });
  }

  async finish(lease: Lease, end: RunEnd, flush: ToolOutcome[]): Promise<void> {
    const terminal = end.status !== 'waiting_approval';
    const write: FencedWrite = {
      set: Prisma.sql`status = ${end.status}, lease_owner = NULL,
        result = ${end.status === 'succeeded' ? end.result : null},
        error = ${end.status === 'failed' ? JSON.stringify(end.error) : null}::jsonb,
        finished_at = ${terminal ? Prisma.sql`now()` : Prisma.sql`NULL`}`,
      statusEvent: true,
      webhook: webhookEventFor(end.status),
      flush,
      allowCancelled: true,
    };
    if (end.status === 'waiting_approval') {
      write.with = [
        Prisma.sql`a AS (
          UPDATE tool_call SET status = 'pending', approval = 'pending', approval_reason = ${end.reason},
                 approval_expires_at = ${end.expiresAt}
          FROM j WHERE tool_call.job_id = j.id AND tool_call.call_id = ${end.callId})`,
      ];
      write.events = [
        { type: 'approval', data: { call_id: end.callId, reason: end.reason, expires_at: end.expiresAt } },
      ];
    }
    await this.fenced(lease, write);
  }

  async release(lease: Lease): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE job SET lease_owner = NULL, lease_epoch = lease_epoch + 1, updated_at = now()
      WHERE id = ${lease.jobId}::uuid AND lease_epoch = ${lease.epoch}`;
  }

  /** A write that only applies while the lease holds (and, unless allowed, no cancel was requested). */
  private async fenced(lease: Lease, w: FencedWrite): Promise<void> {
    const flush = w.flush ?? [];
    const withFlush = [...(w.with ?? [])];
    const events: JobEventInput[] = [...(w.events ?? [])];
    let set = w.set;
    if (flush.length > 0) {
      const rows = flush.map((o) => ({
        call_id: o.callId,
        status: o.status,
        result: o.result,
        attempts: o.attempts,
        error: o.status === 'failed' ? o.result.content : null,
      }));
      withFlush.push(Prisma.sql`o AS (
        UPDATE tool_call SET status = x.status, result = x.result, attempts = x.attempts, error = x.error,
               finished_at = now()
        FROM j, jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS x(call_id text, status text, result jsonb, attempts int, error text)
        WHERE tool_call.job_id = j.id AND tool_call.call_id = x.call_id)`);
      const count = Prisma.sql`tool_calls_used = job.tool_calls_used + ${flush.length}`;
      set = set ? Prisma.sql`${set}, ${count}` : count;
      // Tool results come before the change they are flushed with (e.g. the next step).
      events.unshift(...flush.map((o) => ({ type: 'tool_call', data: outcomeEvent(o) })));
    }
    const fence = w.allowCancelled
      ? Prisma.sql`job.lease_epoch = ${lease.epoch}`
      : Prisma.sql`job.lease_epoch = ${lease.epoch} AND job.cancel_requested_at IS NULL`;
    const result = await writeJob(this.prisma, lease.jobId, {
      ...w,
      where: fence,
      with: withFlush,
      events,
      ...(set ? { set } : {}),
    });
    if (!result.matched) throw await this.whyRefused(lease);
    this.onWrite(lease.jobId);
    if (result.deliveryIds.length > 0) await this.onDeliveries(result.deliveryIds);
  }

  private async whyRefused(lease: Lease): Promise<Error> {
    const rows = await this.prisma.$queryRaw<{ lease_epoch: number; cancel_requested_at: Date | null }[]>`
      SELECT lease_epoch, cancel_requested_at FROM job WHERE id = ${lease.jobId}::uuid`;
    const row = rows[0];
    if (row && row.lease_epoch === lease.epoch && row.cancel_requested_at)
      return new CancelledError(lease.jobId);
    return new LeaseLostError(lease.jobId);
  }

  private loadSteps(jobId: string) {
    return this.prisma.$queryRaw<StepRow[]>`
      SELECT index, text, stop_reason, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
             cost_usd::float8 AS cost_usd, provider_data
      FROM step WHERE job_id = ${jobId}::uuid ORDER BY index`;
  }

  private async loadCalls(jobId: string): Promise<RecordedToolCall[]> {
    const rows = await this.prisma.$queryRaw<CallRow[]>`
      SELECT call_id, step_index, position, name, input, status, result, idempotency_key, attempts, approval,
             approval_reason
      FROM tool_call WHERE job_id = ${jobId}::uuid ORDER BY step_index, position`;
    return rows.map((r) => ({
      callId: r.call_id,
      stepIndex: r.step_index,
      position: r.position,
      name: r.name,
      input: r.input,
      status: r.status,
      result: r.result ?? undefined,
      idempotencyKey: r.idempotency_key,
      attempts: r.attempts,
      approval: r.approval ?? undefined,
      approvalReason: r.approval_reason ?? undefined,
    }));
  }
}

type FencedWrite = Omit<JobWrite, 'where'> & { flush?: ToolOutcome[]; allowCancelled?: boolean };

const outcomeEvent = (o: ToolOutcome) => ({
  call_id: o.callId,
  status: o.status,
  attempts: o.attempts,
  result: o.result,
});

interface JobRow {
  id: string;
  tenant_id: string;
  user_id: string | null;
  session_id: string | null;
  task: string;
  model: string;
  config: Record<string, unknown>;
  status: JobStatus;
  steps_used: number;
  tool_calls_used: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  lease_epoch: number;
  cancel_requested_at: Date | null;
  deadline_at: Date | null;
}

interface StepRow {
  index: number;
  text: string;
  stop_reason: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  provider_data: unknown;
}

interface CallRow {
  call_id: string;
  step_index: number;
  position: number;
  name: string;
  input: unknown;
  status: RecordedToolCall['status'];
  result: ToolResult | null;
  idempotency_key: string;
  attempts: number;
  approval: RecordedToolCall['approval'] | null;
  approval_reason: string | null;
}
