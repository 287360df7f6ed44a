// CheckpointStore on Postgres. Every write is fenced: it only applies while the job's lease_epoch is the
// caller's, so a worker that lost the job can never write over the newer owner's checkpoint. A write is
// one statement with everything that changes with it (rows, durable events, the webhook outbox row) — the
// same shape as job-write.ts, but set-based, so that the writes and claims of concurrent jobs are group-
// committed: one statement and one commit per batch (batcher.ts), each job still fenced on its own.
import {
  CancelledError,
  type CheckpointStore,
  type ClaimOptions,
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
import { Batcher, type Settled } from './batcher.ts';
import { Prisma } from './generated/prisma/client.ts';
import { type JobEventInput, webhookEventFor } from './job-write.ts';
import type { SqlClient } from './sql.ts';

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
  /** The writes a run makes once per step or tool call, group-committed across jobs (batcher.ts). */
  private readonly hot = new Batcher<HotWrite, void>((writes) => this.writeHot(writes), {
    key: (w) => w.lease.jobId,
  });

  private readonly claims = new Batcher<ClaimRequest, ClaimRow | undefined>((r) => this.claimBatch(r), {
    key: (r) => r.jobId,
  });

  constructor(
    private readonly sql: SqlClient,
    hooks: CheckpointStoreHooks = {},
  ) {
    this.onDeliveries = hooks.onDeliveries ?? (() => {});
    this.onWrite = hooks.onWrite ?? (() => {});
  }

  /**
   * One statement decides and claims: the job must be runnable (queued or running), no earlier job of its
   * session may be unfinished (sessions run oldest first), and its lease must be free, ours, or the dead
   * owner's we were told to take over. Whatever stops the claim comes back instead (held / waiting /
   * not_runnable). Claims made at the same time share the statement (group commit, like the step writes).
   */
  async claim(
    jobId: string,
    owner: string,
    jobTimeoutMs: number,
    options: ClaimOptions = {},
  ): Promise<ClaimResult> {
    const row = await this.claims.add({ jobId, owner, jobTimeoutMs, takeoverFrom: options.takeoverFrom });
    if (!row) return { kind: 'not_runnable', status: 'missing' };
    if (row.id === null) {
      if (row.prev_status !== 'queued' && row.prev_status !== 'running')
        return { kind: 'not_runnable', status: row.prev_status };
      if (row.waiting_id !== null)
        return { kind: 'waiting', forJobId: row.waiting_id, forStatus: row.waiting_status as JobStatus };
      return { kind: 'held', owner: row.prev_owner ?? '' };
    }
    const job = row as unknown as JobRow;
    this.onWrite(jobId);
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
    await this.hot.add({ lease, step, calls, flush });
  }

  async markToolRunning(lease: Lease, callId: string, attempt: number, flush: ToolOutcome[]): Promise<void> {
    await this.hot.add({ lease, running: { callId, attempt }, flush });
  }

  async recordToolOutcome(lease: Lease, outcome: ToolOutcome): Promise<void> {
    await this.hot.add({ lease, flush: [outcome] });
  }

  async finish(lease: Lease, end: RunEnd, flush: ToolOutcome[], finalStep?: RecordedStep): Promise<void> {
    await this.hot.add({ lease, ...(finalStep ? { step: finalStep } : {}), flush, end });
  }

  async release(lease: Lease): Promise<void> {
    await this.sql.rows(Prisma.sql`
      UPDATE job SET lease_owner = NULL, lease_epoch = lease_epoch + 1, updated_at = now()
      WHERE id = ${lease.jobId}::uuid AND lease_epoch = ${lease.epoch}`);
  }

  /** The claim statement for a batch of claims of different jobs; a row per job that exists. */
  private async claimBatch(requests: ClaimRequest[]): Promise<Settled<ClaimRow | undefined>[]> {
    const input = requests
      .map((r) => ({
        job_id: r.jobId,
        owner: r.owner,
        timeout_s: r.jobTimeoutMs / 1000,
        takeover_from: r.takeoverFrom ?? null,
      }))
      .sort(byJobId);
    const rows = await this.sql.rows<ClaimRow & { claim_id: string }>(Prisma.sql`
      WITH w AS (
        SELECT (x->>'job_id')::uuid AS job_id, x->>'owner' AS owner, (x->>'timeout_s')::float8 AS timeout_s,
               x->>'takeover_from' AS takeover_from
        FROM agentq_batch(${JSON.stringify(input)}::jsonb) AS x
      ),
      prev AS (
        SELECT job.id, job.status, job.lease_owner, job.tenant_id, job.session_id, job.created_at,
               w.owner, w.timeout_s, w.takeover_from
        FROM job JOIN w ON job.id = w.job_id ORDER BY job.id FOR UPDATE OF job
      ),
      waiting AS (
        SELECT prev.id AS for_id, e.id, e.status FROM prev, LATERAL (
          SELECT e.id, e.status FROM job e
          WHERE prev.session_id IS NOT NULL AND e.tenant_id = prev.tenant_id AND e.session_id = prev.session_id
            AND e.status IN ('queued', 'running', 'waiting_approval')
            AND (e.created_at, e.id) < (prev.created_at, prev.id)
          ORDER BY e.created_at, e.id LIMIT 1
        ) e
      ),
      j AS (
        UPDATE job SET
          lease_epoch = job.lease_epoch + 1,
          lease_owner = prev.owner,
          status = 'running',
          started_at = coalesce(job.started_at, now()),
          deadline_at = coalesce(job.deadline_at, now() + make_interval(secs => prev.timeout_s)),
          event_seq = job.event_seq + CASE WHEN prev.status = 'queued' THEN 1 ELSE 0 END,
          updated_at = now()
        FROM prev
        WHERE job.id = prev.id AND prev.status IN ('queued', 'running')
          AND (prev.lease_owner IS NULL OR prev.lease_owner = prev.owner OR prev.lease_owner = prev.takeover_from)
          AND NOT EXISTS (SELECT 1 FROM waiting WHERE waiting.for_id = prev.id)
        RETURNING job.*
      ),
      ev AS (
        INSERT INTO job_event (job_id, seq, type, data)
        SELECT j.id, j.event_seq, 'status', agentq_status_json(ROW(j.*)::job)
        FROM j JOIN prev ON prev.id = j.id WHERE prev.status = 'queued'
      )
      SELECT prev.id::text AS claim_id, prev.status AS prev_status, prev.lease_owner AS prev_owner,
             w.id::text AS waiting_id, w.status AS waiting_status,
             j.id::text, j.tenant_id, j.user_id, j.session_id, j.task, j.model, j.config, j.status, j.steps_used,
             j.tool_calls_used, j.input_tokens::float8 AS input_tokens, j.output_tokens::float8 AS output_tokens,
             j.cache_read_tokens::float8 AS cache_read_tokens, j.cache_write_tokens::float8 AS cache_write_tokens,
             j.cost_usd::float8 AS cost_usd, j.lease_epoch, j.cancel_requested_at, j.deadline_at
      FROM prev LEFT JOIN j ON j.id = prev.id LEFT JOIN waiting w ON w.for_id = prev.id`);
    const byJob = new Map(rows.map((r) => [r.claim_id, r]));
    return requests.map((r) => ({ ok: true, value: byJob.get(r.jobId) }));
  }

  /**
   * Records a batch of writes of different jobs in one statement, each fenced by its own lease (and, except
   * for an end without a final step, refused once a cancel was requested).
   */
  private async writeHot(writes: HotWrite[]): Promise<Settled<void>[]> {
    const written = await this.writeHotStatement(writes);
    return Promise.all(
      writes.map(async (w): Promise<Settled<void>> => {
        const deliveryIds = written.get(w.lease.jobId);
        if (deliveryIds === undefined) return { ok: false, error: await this.whyRefused(w.lease) };
        this.onWrite(w.lease.jobId);
        if (deliveryIds.length > 0) await this.onDeliveries(deliveryIds);
        return { ok: true, value: undefined };
      }),
    );
  }

  /**
   * The statement behind writeHot. Returns, for each job whose fence held, the ids of the webhook
   * deliveries its end wrote (to enqueue after the commit).
   */
  private async writeHotStatement(writes: HotWrite[]): Promise<Map<string, string[]>> {
    const rows = writes.map(hotRow).sort(byJobId);
    const updated = await this.sql.rows<{ id: string; delivery_ids: string[] | null }>(Prisma.sql`
      WITH w AS (
        SELECT (x->>'job_id')::uuid AS job_id, (x->>'epoch')::int AS epoch, x->'step' AS step,
               x->'calls' AS calls, x->'running' AS running, x->'flush' AS flush, x->'events' AS events,
               x->'finish' AS finish
        FROM agentq_batch(${JSON.stringify(rows)}::jsonb) AS x
      ),
      j AS (
        UPDATE job SET
          -- the job's end adds its status event after the others
          event_seq = job.event_seq + jsonb_array_length(w.events) + (w.finish IS NOT NULL)::int,
          updated_at = now(),
          steps_used = job.steps_used + (w.step IS NOT NULL)::int,
          input_tokens = job.input_tokens + coalesce((w.step->>'input_tokens')::bigint, 0),
          output_tokens = job.output_tokens + coalesce((w.step->>'output_tokens')::bigint, 0),
          cache_read_tokens = job.cache_read_tokens + coalesce((w.step->>'cache_read_tokens')::bigint, 0),
          cache_write_tokens = job.cache_write_tokens + coalesce((w.step->>'cache_write_tokens')::bigint, 0),
          cost_usd = job.cost_usd + coalesce((w.step->>'cost_usd')::numeric, 0),
          tool_calls_used = job.tool_calls_used + jsonb_array_length(w.flush),
          status = coalesce(w.finish->>'status', job.status),
          lease_owner = CASE WHEN w.finish IS NULL THEN job.lease_owner END,
          result = CASE WHEN w.finish IS NULL THEN job.result ELSE w.finish->>'result' END,
          error = CASE WHEN w.finish IS NULL THEN job.error ELSE w.finish->'error' END,
          finished_at = CASE WHEN w.finish IS NULL THEN job.finished_at
                             WHEN (w.finish->>'terminal')::boolean THEN now() END
        FROM w
        WHERE job.id = w.job_id AND job.lease_epoch = w.epoch
          AND (job.cancel_requested_at IS NULL OR (w.finish IS NOT NULL AND w.step IS NULL))
        RETURNING job.id, job.tenant_id, job.webhook_url, job.event_seq, w.step, w.calls, w.running, w.flush,
                  w.events, w.finish, CASE WHEN w.finish IS NOT NULL THEN agentq_status_json(job) END AS status_json
      ),
      s AS (
        INSERT INTO step (job_id, index, text, stop_reason, model, input_tokens, output_tokens,
                          cache_read_tokens, cache_write_tokens, cost_usd, provider_data)
        SELECT j.id, (j.step->>'index')::int, j.step->>'text', j.step->>'stop_reason', j.step->>'model',
               (j.step->>'input_tokens')::int, (j.step->>'output_tokens')::int,
               (j.step->>'cache_read_tokens')::int, (j.step->>'cache_write_tokens')::int,
               (j.step->>'cost_usd')::numeric, j.step->'provider_data'
        FROM j WHERE j.step IS NOT NULL
      ),
      c AS (
        INSERT INTO tool_call (job_id, call_id, step_index, position, name, input, idempotency_key)
        SELECT j.id, x.call_id, (j.step->>'index')::int, x.position, x.name, coalesce(x.input, '{}'::jsonb),
               x.idempotency_key
        FROM j, jsonb_to_recordset(j.calls)
          AS x(call_id text, position int, name text, input jsonb, idempotency_key text)
      ),
      r AS (
        UPDATE tool_call SET status = 'running', attempts = (j.running->>'attempt')::int,
               started_at = coalesce(tool_call.started_at, now())
        FROM j WHERE j.running IS NOT NULL AND tool_call.job_id = j.id
          AND tool_call.call_id = j.running->>'call_id'
      ),
      o AS (
        UPDATE tool_call SET status = x.status, result = x.result, attempts = x.attempts, error = x.error,
               finished_at = now()
        FROM j, jsonb_to_recordset(j.flush)
          AS x(call_id text, status text, result jsonb, attempts int, error text)
        WHERE tool_call.job_id = j.id AND tool_call.call_id = x.call_id
      ),
      a AS (
        UPDATE tool_call SET status = 'pending', approval = 'pending',
               approval_reason = j.finish->'approval'->>'reason',
               approval_expires_at = (j.finish->'approval'->>'expires_at')::timestamptz
        FROM j WHERE j.finish->'approval' IS NOT NULL AND tool_call.job_id = j.id
          AND tool_call.call_id = j.finish->'approval'->>'call_id'
      ),
      ev AS (
        INSERT INTO job_event (job_id, seq, type, data)
        SELECT j.id, j.event_seq - jsonb_array_length(j.events) - (j.finish IS NOT NULL)::int + e.ord::int,
               e.value->>'type', e.value->'data'
        FROM j, jsonb_array_elements(j.events) WITH ORDINALITY AS e(value, ord)
        UNION ALL
        SELECT j.id, j.event_seq, 'status', j.status_json FROM j WHERE j.finish IS NOT NULL
      ),
      ob AS (
        INSERT INTO webhook_delivery (id, job_id, tenant_id, event_type, url, payload, next_attempt_at)
        SELECT gen_random_uuid(), j.id, j.tenant_id, j.finish->>'webhook', j.webhook_url,
               jsonb_build_object('type', j.finish->>'webhook', 'timestamp', agentq_iso(now()),
                                  'data', j.status_json),
               now()
        FROM j WHERE j.finish->>'webhook' IS NOT NULL AND j.webhook_url IS NOT NULL
        RETURNING id, job_id
      )
      SELECT j.id::text AS id, (SELECT array_agg(ob.id::text) FROM ob WHERE ob.job_id = j.id) AS delivery_ids
      FROM j`);
    return new Map(updated.map((r) => [r.id, r.delivery_ids ?? []]));
  }

  private async whyRefused(lease: Lease): Promise<Error> {
    const rows = await this.sql.rows<{ lease_epoch: number; cancel_requested_at: Date | null }>(Prisma.sql`
      SELECT lease_epoch, cancel_requested_at FROM job WHERE id = ${lease.jobId}::uuid`);
    const row = rows[0];
    if (row && row.lease_epoch === lease.epoch && row.cancel_requested_at)
      return new CancelledError(lease.jobId);
    return new LeaseLostError(lease.jobId);
  }

  private loadSteps(jobId: string) {
    return this.sql.rows<StepRow>(Prisma.sql`
      SELECT index, text, stop_reason, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
             cost_usd::float8 AS cost_usd, provider_data
      FROM step WHERE job_id = ${jobId}::uuid ORDER BY index`);
  }

  private async loadCalls(jobId: string): Promise<RecordedToolCall[]> {
    const rows = await this.sql.rows<CallRow>(Prisma.sql`
      SELECT call_id, step_index, position, name, input, status, result, idempotency_key, attempts, approval,
             approval_reason
      FROM tool_call WHERE job_id = ${jobId}::uuid ORDER BY step_index, position`);
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

/**
 * Any write a run makes under its lease: a step (with its new calls), a call marked running, tool outcomes,
 * and the job's end (with the final step, if the model gave one).
 */
interface HotWrite {
  lease: Lease;
  step?: RecordedStep;
  calls?: NewToolCall[];
  running?: { callId: string; attempt: number };
  flush: ToolOutcome[];
  end?: RunEnd;
}

/** A HotWrite as one element of the batch statement's jsonb array (absent parts are absent keys). */
function hotRow(w: HotWrite) {
  const calls = w.calls ?? [];
  const events: JobEventInput[] = w.flush.map((o) => ({ type: 'tool_call', data: outcomeEvent(o) }));
  if (w.step) events.push(stepEvent(w.step, calls));
  if (w.running) {
    events.push({
      type: 'tool_call',
      data: { call_id: w.running.callId, status: 'running', attempt: w.running.attempt },
    });
  }
  const end = w.end;
  if (end?.status === 'waiting_approval') {
    events.push({
      type: 'approval',
      data: { call_id: end.callId, reason: end.reason, expires_at: end.expiresAt },
    });
  }
  return {
    job_id: w.lease.jobId,
    epoch: w.lease.epoch,
    step: w.step && {
      index: w.step.index,
      text: w.step.text,
      stop_reason: w.step.stopReason,
      model: w.step.model,
      input_tokens: w.step.usage.inputTokens,
      output_tokens: w.step.usage.outputTokens,
      cache_read_tokens: w.step.usage.cacheReadTokens,
      cache_write_tokens: w.step.usage.cacheWriteTokens,
      cost_usd: w.step.costUsd,
      provider_data: w.step.providerData,
    },
    calls: calls.map((c) => ({
      call_id: c.callId,
      position: c.position,
      name: c.name,
      input: c.input,
      idempotency_key: c.idempotencyKey,
    })),
    running: w.running && { call_id: w.running.callId, attempt: w.running.attempt },
    flush: flushRows(w.flush),
    events,
    finish: end && {
      status: end.status,
      terminal: end.status !== 'waiting_approval',
      webhook: webhookEventFor(end.status),
      result: end.status === 'succeeded' ? end.result : undefined,
      error: end.status === 'failed' ? end.error : undefined,
      approval:
        end.status === 'waiting_approval'
          ? { call_id: end.callId, reason: end.reason, expires_at: end.expiresAt }
          : undefined,
    },
  };
}

/** The durable `step` event: the model response as the event stream shows it. */
const stepEvent = (step: RecordedStep, calls: NewToolCall[]): JobEventInput => ({
  type: 'step',
  data: {
    index: step.index,
    text: step.text,
    stop_reason: step.stopReason,
    model: step.model,
    usage: { input_tokens: step.usage.inputTokens, output_tokens: step.usage.outputTokens },
    cost_usd: step.costUsd,
    tool_calls: calls.map((c) => ({ call_id: c.callId, name: c.name, input: c.input })),
  },
});

/** Tool outcomes as rows for jsonb_to_recordset (call_id, status, result, attempts, error). */
const flushRows = (flush: ToolOutcome[]) =>
  flush.map((o) => ({
    call_id: o.callId,
    status: o.status,
    result: o.result,
    attempts: o.attempts,
    error: o.status === 'failed' ? o.result.content : null,
  }));

/** Batch rows in job order, so that concurrent batches lock job rows in the same order. */
const byJobId = (a: { job_id: string }, b: { job_id: string }) => (a.job_id < b.job_id ? -1 : 1);

interface ClaimRequest {
  jobId: string;
  owner: string;
  jobTimeoutMs: number;
  takeoverFrom: string | undefined;
}

/** The claim statement's row: what stood in the way (prev_*, waiting_*), or the claimed job (the rest). */
type ClaimRow = { [K in keyof JobRow]: JobRow[K] | null } & {
  prev_status: JobStatus;
  prev_owner: string | null;
  waiting_id: string | null;
  waiting_status: string | null;
};

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
