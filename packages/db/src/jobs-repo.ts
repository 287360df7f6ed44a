// Jobs as the API sees them: create (idempotently), read the status object and the steps, list, cancel.
// Status objects come from the SQL function agentq_status_json so API answers, events and webhook bodies
// are one shape.
import type { Db } from './client.ts';
import { Prisma } from './generated/prisma/client.ts';
import { writeJob } from './job-write.ts';
import { uuid7 } from './uuid7.ts';

export type StatusObject = {
  job_id: string;
  status: string;
  result: string | null;
  error: { code: string; message: string; details?: unknown } | null;
  steps_used: number;
  usage: { input_tokens: number; output_tokens: number; cost_usd: number };
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
} & Record<string, unknown>;

export interface ActiveJob {
  id: string;
  tenant_id: string;
  status: 'queued' | 'running';
  lease_owner: string | null;
}

export interface JobEvent {
  seq: number;
  type: string;
  data: unknown;
  created_at: string;
}

export interface NewJob {
  tenantId: string;
  idempotencyKey?: string | undefined;
  userId?: string | undefined;
  sessionId?: string | undefined;
  scheduleId?: string | undefined;
  task: string;
  model: string;
  config: Record<string, unknown>;
  metadata?: Record<string, unknown> | undefined;
  webhookUrl?: string | undefined;
}

export type CreateJobResult =
  | { kind: 'created'; job: StatusObject }
  | { kind: 'existing'; job: StatusObject }
  /** The idempotency key was used before for a different request. */
  | { kind: 'conflict'; job: StatusObject };

export class JobsRepo {
  private readonly prisma: Db['prisma'];
  private readonly sql: Db['sql'];

  constructor(db: Pick<Db, 'prisma' | 'sql'>) {
    this.prisma = db.prisma;
    this.sql = db.sql;
  }

  async ensureTenant(id: string, name = id): Promise<void> {
    await this.prisma
      .$executeRaw`INSERT INTO tenant (id, name) VALUES (${id}, ${name}) ON CONFLICT (id) DO NOTHING`;
  }

  async create(input: NewJob): Promise<CreateJobResult> {
    return (await this.createMany([input]))[0]!;
  }

  /**
   * Creates several jobs in one statement (one commit), each with its `queued` status event. Results come
   * in the order of `inputs`; a reused idempotency key answers with the job that holds it (`existing` for
   * the same task and model, else `conflict`), also when two inputs of this call share the key.
   */
  async createMany(inputs: NewJob[]): Promise<CreateJobResult[]> {
    const rows = inputs.map((input) => ({
      id: uuid7(),
      tenant_id: input.tenantId,
      idempotency_key: input.idempotencyKey,
      user_id: input.userId,
      session_id: input.sessionId,
      schedule_id: input.scheduleId,
      task: input.task,
      model: input.model,
      config: input.config,
      metadata: input.metadata,
      webhook_url: input.webhookUrl,
    }));
    const created = await this.sql.rows<{ id: string; status: StatusObject }>(Prisma.sql`
      WITH ins AS (
        INSERT INTO job (id, tenant_id, idempotency_key, user_id, session_id, schedule_id, task, model, config,
                         metadata, webhook_url, event_seq)
        SELECT (x->>'id')::uuid, x->>'tenant_id', x->>'idempotency_key', x->>'user_id', x->>'session_id',
               x->>'schedule_id', x->>'task', x->>'model', x->'config', x->'metadata', x->>'webhook_url', 1
        FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) WITH ORDINALITY AS t(x, ord)
        ORDER BY ord
        ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
        RETURNING *
      ),
      ev AS (INSERT INTO job_event (job_id, seq, type, data)
             SELECT ins.id, 1, 'status', agentq_status_json(ROW(ins.*)::job) FROM ins)
      SELECT ins.id::text AS id, agentq_status_json(ROW(ins.*)::job) AS status FROM ins`);
    const byId = new Map(created.map((r) => [r.id, r.status]));
    return Promise.all(
      rows.map(async (row, k): Promise<CreateJobResult> => {
        const status = byId.get(row.id);
        return status ? { kind: 'created', job: status } : this.holderOfKey(inputs[k]!);
      }),
    );
  }

  /** The job that already holds an input's idempotency key, and whether it was the same request. */
  private async holderOfKey(input: NewJob): Promise<CreateJobResult> {
    const existing = await this.prisma.$queryRaw<{ status: StatusObject; same: boolean }[]>`
      SELECT agentq_status_json(j) AS status, (j.task = ${input.task} AND j.model = ${input.model}) AS same
      FROM job j WHERE tenant_id = ${input.tenantId} AND idempotency_key = ${input.idempotencyKey ?? null}`;
    const row = existing[0];
    if (!row) throw new Error('job insert conflicted but no job holds the idempotency key');
    return { kind: row.same ? 'existing' : 'conflict', job: row.status };
  }

  async status(tenantId: string, jobId: string): Promise<StatusObject | undefined> {
    if (!isUuid(jobId)) return undefined;
    const rows = await this.prisma.$queryRaw<{ status: StatusObject }[]>`
      SELECT agentq_status_json(j) AS status FROM job j WHERE id = ${jobId}::uuid AND tenant_id = ${tenantId}`;
    return rows[0]?.status;
  }

  /** The recorded steps with their tool calls, oldest first (API.md `GET /jobs/:id/steps`). */
  async steps(tenantId: string, jobId: string): Promise<unknown[] | undefined> {
    if (!isUuid(jobId)) return undefined;
    const rows = await this.prisma.$queryRaw<{ steps: unknown[] | null; found: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM job WHERE id = ${jobId}::uuid AND tenant_id = ${tenantId}) AS found,
        (SELECT jsonb_agg(jsonb_build_object(
            'index', s.index, 'text', s.text, 'stop_reason', s.stop_reason, 'model', s.model,
            'usage', jsonb_build_object('input_tokens', s.input_tokens, 'output_tokens', s.output_tokens,
                                        'cost_usd', s.cost_usd::float8),
            'created_at', agentq_iso(s.created_at),
            'tool_calls', coalesce((
              SELECT jsonb_agg(jsonb_build_object(
                'call_id', c.call_id, 'name', c.name, 'input', c.input, 'status', c.status,
                'result', c.result, 'error', c.error, 'idempotency_key', c.idempotency_key,
                'attempts', c.attempts, 'approval', c.approval, 'approval_reason', c.approval_reason,
                'started_at', agentq_iso(c.started_at), 'finished_at', agentq_iso(c.finished_at))
                ORDER BY c.position)
              FROM tool_call c WHERE c.job_id = s.job_id AND c.step_index = s.index), '[]'::jsonb))
            ORDER BY s.index)
         FROM step s JOIN job j ON j.id = s.job_id
         WHERE s.job_id = ${jobId}::uuid AND j.tenant_id = ${tenantId}) AS steps`;
    const row = rows[0];
    if (!row?.found) return undefined;
    return row.steps ?? [];
  }

  /**
   * Cancels a job. Queued and waiting jobs end at once; a running job gets cancel_requested_at and its
   * worker ends it (the caller also signals the worker). Returns undefined for an unknown job.
   */
  async cancel(
    tenantId: string,
    jobId: string,
  ): Promise<{ job: StatusObject; immediate: boolean; deliveryIds: string[] } | undefined> {
    if (!isUuid(jobId)) return undefined;
    const now = await writeJob(this.sql, jobId, {
      where: Prisma.sql`job.tenant_id = ${tenantId} AND job.status IN ('queued', 'waiting_approval')`,
      set: Prisma.sql`status = 'cancelled', cancel_requested_at = now(), finished_at = now(), lease_owner = NULL,
                      lease_epoch = job.lease_epoch + 1`,
      statusEvent: true,
      webhook: 'job.cancelled',
    });
    if (!now.matched) {
      await this.prisma.$executeRaw`
        UPDATE job SET cancel_requested_at = coalesce(cancel_requested_at, now()), updated_at = now()
        WHERE id = ${jobId}::uuid AND tenant_id = ${tenantId} AND status = 'running'`;
    }
    const job = await this.status(tenantId, jobId);
    return job ? { job, immediate: now.matched, deliveryIds: now.deliveryIds } : undefined;
  }

  /**
   * Records a human's decision on a pending approval and puts the job back in the queue (status queued).
   * Returns 'not_found' for an unknown job/call, 'not_pending' when there is no pending approval to decide.
   */
  async decideApproval(
    tenantId: string,
    jobId: string,
    callId: string,
    decision: { approve: boolean; reason?: string | undefined; input?: unknown },
  ): Promise<{ kind: 'decided'; job: StatusObject } | { kind: 'not_found' | 'not_pending' }> {
    if (!isUuid(jobId)) return { kind: 'not_found' };
    const approval = decision.approve ? 'approved' : 'rejected';
    const input = decision.input === undefined ? null : JSON.stringify(decision.input);
    const write = await writeJob(this.sql, jobId, {
      where: Prisma.sql`job.tenant_id = ${tenantId} AND job.status = 'waiting_approval' AND EXISTS (
        SELECT 1 FROM tool_call c WHERE c.job_id = job.id AND c.call_id = ${callId} AND c.approval = 'pending')`,
      set: Prisma.sql`status = 'queued'`,
      with: [
        Prisma.sql`d AS (
          UPDATE tool_call SET approval = ${approval}, approval_reason = ${decision.reason ?? null},
                 input = coalesce(${input}::jsonb, tool_call.input)
          FROM j WHERE tool_call.job_id = j.id AND tool_call.call_id = ${callId})`,
      ],
      events: [
        {
          type: 'approval',
          data: {
            call_id: callId,
            decision: approval,
            reason: decision.reason ?? null,
            edited: input !== null,
          },
        },
      ],
      statusEvent: true,
    });
    if (write.matched) return { kind: 'decided', job: (await this.status(tenantId, jobId))! };
    const known = await this.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM tool_call c JOIN job j ON j.id = c.job_id
      WHERE c.job_id = ${jobId}::uuid AND c.call_id = ${callId} AND j.tenant_id = ${tenantId}`;
    return { kind: known[0]?.n ? 'not_pending' : 'not_found' };
  }

  /** Expires pending approvals past their deadline; their jobs are queued again and fail with approval_expired. */
  async expireApprovals(): Promise<ActiveJob[]> {
    const due = await this.prisma.$queryRaw<{ job_id: string; call_id: string }[]>`
      SELECT c.job_id::text, c.call_id FROM tool_call c JOIN job j ON j.id = c.job_id
      WHERE c.approval = 'pending' AND c.approval_expires_at < now() AND j.status = 'waiting_approval' LIMIT 1000`;
    const expired: ActiveJob[] = [];
    for (const { job_id, call_id } of due) {
      const write = await writeJob(this.sql, job_id, {
        where: Prisma.sql`job.status = 'waiting_approval'`,
        set: Prisma.sql`status = 'queued'`,
        with: [
          Prisma.sql`x AS (UPDATE tool_call SET approval = 'expired' FROM j
                           WHERE tool_call.job_id = j.id AND tool_call.call_id = ${call_id})`,
        ],
        events: [{ type: 'approval', data: { call_id, decision: 'expired' } }],
        statusEvent: true,
      });
      if (write.matched) {
        const rows = await this.prisma.$queryRaw<ActiveJob[]>`
          SELECT id::text, tenant_id, status, lease_owner FROM job WHERE id = ${job_id}::uuid`;
        if (rows[0]) expired.push(rows[0]);
      }
    }
    return expired;
  }

  /**
   * A tenant's jobs, newest first, with optional filters; keyset pagination on (created_at, id) so pages
   * stay stable while new jobs arrive. `after` is the last row of the previous page.
   */
  async list(
    tenantId: string,
    f: {
      status?: string[] | undefined;
      userId?: string | undefined;
      sessionId?: string | undefined;
      createdAfter?: Date | undefined;
      createdBefore?: Date | undefined;
      after?: { createdAt: string; id: string } | undefined;
      limit: number;
    },
  ): Promise<StatusObject[]> {
    const rows = await this.prisma.$queryRaw<{ status: StatusObject }[]>`
      SELECT agentq_status_json(j) AS status FROM job j
      WHERE j.tenant_id = ${tenantId}
        AND (${f.status ?? null}::text[] IS NULL OR j.status = ANY(${f.status ?? null}::text[]))
        AND (${f.userId ?? null}::text IS NULL OR j.user_id = ${f.userId ?? null})
        AND (${f.sessionId ?? null}::text IS NULL OR j.session_id = ${f.sessionId ?? null})
        AND (${f.createdAfter ?? null}::timestamptz IS NULL OR j.created_at >= ${f.createdAfter ?? null})
        AND (${f.createdBefore ?? null}::timestamptz IS NULL OR j.created_at < ${f.createdBefore ?? null})
        AND (${f.after?.createdAt ?? null}::timestamptz IS NULL
             OR (j.created_at, j.id) < (${f.after?.createdAt ?? null}::timestamptz, ${f.after?.id ?? null}::uuid))
      ORDER BY j.created_at DESC, j.id DESC
      LIMIT ${f.limit}`;
    return rows.map((r) => r.status);
  }

  /** Durable events of a job after `afterSeq`, oldest first (SSE replay and tail). */
  async events(
    tenantId: string,
    jobId: string,
    afterSeq: number,
    limit = 500,
  ): Promise<{ events: JobEvent[]; terminal: boolean } | undefined> {
    if (!isUuid(jobId)) return undefined;
    // `terminal` comes from the same snapshot as the events: the terminal status and its event are written
    // in one statement, so a terminal job with no event after the cursor has nothing more to send.
    const rows = await this.prisma.$queryRaw<(JobEvent & { terminal: boolean })[]>`
      SELECT e.seq, e.type, e.data, agentq_iso(e.created_at) AS created_at,
             j.status IN ('succeeded', 'failed', 'cancelled') AS terminal
      FROM job j LEFT JOIN job_event e ON e.job_id = j.id AND e.seq > ${afterSeq}
      WHERE j.id = ${jobId}::uuid AND j.tenant_id = ${tenantId}
      ORDER BY e.seq LIMIT ${limit}`;
    const first = rows[0];
    if (!first) return undefined;
    return {
      events: rows.filter((r) => r.seq !== null).map(({ terminal: _, ...e }) => e),
      terminal: first.terminal,
    };
  }

  /** Jobs Postgres says should be in the queue (queued or running), for the reconciler. */
  async activeJobs(limit = 10_000): Promise<ActiveJob[]> {
    return this.prisma.$queryRaw<ActiveJob[]>`
      SELECT id::text, tenant_id, status, lease_owner FROM job
      WHERE status IN ('queued', 'running') ORDER BY created_at LIMIT ${limit}`;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);
