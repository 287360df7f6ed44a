// Webhook deliveries: the outbox rows written with each status change (job-write.ts), their attempts,
// and what the API shows of them.
import type { Prisma as Client } from './client.ts';

export interface Delivery {
  id: string;
  job_id: string;
  tenant_id: string;
  event_type: string;
  url: string;
  payload: unknown;
  status: 'pending' | 'delivered' | 'gone' | 'refused' | 'exhausted';
  attempts: number;
}

export interface DeliveryAttempt {
  attempt: number;
  statusCode: number | undefined;
  error: string | undefined;
  durationMs: number;
}

export class DeliveriesRepo {
  constructor(private readonly prisma: Client) {}

  async get(id: string): Promise<Delivery | undefined> {
    const rows = await this.prisma.$queryRaw<Delivery[]>`
      SELECT id::text, job_id::text, tenant_id, event_type, url, payload, status, attempts
      FROM webhook_delivery WHERE id = ${id}::uuid`;
    return rows[0];
  }

  /** Records one attempt and what follows: another attempt at `nextAttemptAt`, or a final status. */
  async recordAttempt(
    id: string,
    a: DeliveryAttempt,
    next: { status: 'pending'; nextAttemptAt: Date } | { status: Exclude<Delivery['status'], 'pending'> },
  ): Promise<void> {
    const nextAt = next.status === 'pending' ? next.nextAttemptAt : null;
    await this.prisma.$executeRaw`
      WITH a AS (
        INSERT INTO webhook_attempt (delivery_id, attempt, status_code, error, duration_ms)
        VALUES (${id}::uuid, ${a.attempt}, ${a.statusCode ?? null}, ${a.error ?? null}, ${Math.round(a.durationMs)})
        ON CONFLICT (delivery_id, attempt) DO NOTHING)
      UPDATE webhook_delivery SET attempts = GREATEST(attempts, ${a.attempt}), status = ${next.status},
        last_status_code = ${a.statusCode ?? null}, last_error = ${a.error ?? null}, next_attempt_at = ${nextAt},
        delivered_at = CASE WHEN ${next.status} = 'delivered' THEN now() ELSE delivered_at END
      WHERE id = ${id}::uuid`;
  }

  /** Pending deliveries whose attempt is overdue by `graceMs` (their queue entry was lost): for the reconciler. */
  async overdue(graceMs: number, limit = 1_000): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM webhook_delivery
      WHERE status = 'pending' AND next_attempt_at < now() - make_interval(secs => ${graceMs / 1000})
      ORDER BY next_attempt_at LIMIT ${limit}`;
    return rows.map((r) => r.id);
  }

  /** The delivery log of one job (GET /jobs/:id/deliveries); undefined for an unknown job. */
  async forJob(tenantId: string, jobId: string): Promise<unknown[] | undefined> {
    const rows = await this.prisma.$queryRaw<{ found: boolean; deliveries: unknown[] | null }[]>`
      SELECT EXISTS (SELECT 1 FROM job WHERE id = ${jobId}::uuid AND tenant_id = ${tenantId}) AS found,
        (SELECT jsonb_agg(jsonb_build_object(
           'id', d.id, 'webhook_id', 'msg_' || d.id, 'event_type', d.event_type, 'url', d.url, 'status', d.status,
           'attempts', d.attempts, 'last_status_code', d.last_status_code, 'last_error', d.last_error,
           'next_attempt_at', agentq_iso(d.next_attempt_at), 'created_at', agentq_iso(d.created_at),
           'delivered_at', agentq_iso(d.delivered_at),
           'attempt_log', coalesce((SELECT jsonb_agg(jsonb_build_object('attempt', a.attempt, 'status_code', a.status_code,
               'error', a.error, 'duration_ms', a.duration_ms, 'at', agentq_iso(a.created_at)) ORDER BY a.attempt)
             FROM webhook_attempt a WHERE a.delivery_id = d.id), '[]'::jsonb)) ORDER BY d.created_at)
         FROM webhook_delivery d WHERE d.job_id = ${jobId}::uuid AND d.tenant_id = ${tenantId}) AS deliveries`;
    const row = rows[0];
    return row?.found ? (row.deliveries ?? []) : undefined;
  }

  /** Puts a delivery back to pending for a manual redelivery; false for an unknown one. */
  async redeliver(tenantId: string, id: string): Promise<boolean> {
    const n = await this.prisma.$executeRaw`
      UPDATE webhook_delivery SET status = 'pending', next_attempt_at = now()
      WHERE id = ${id}::uuid AND tenant_id = ${tenantId}`;
    return n > 0;
  }
}
