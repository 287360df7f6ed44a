// The statement a job change made outside a run goes through (cancel, approve, reject, expire; a run's own
// writes use the set-based twin in checkpoint-store.ts). One UPDATE of the job row (which doubles as the
// fence: it only matches the expected status), the rows that change with it, the durable events that
// describe it, and — for status changes with a webhook — the outbox row, all in one statement: one round
// trip, one commit, nothing half-written.

import type { WebhookEventType } from '@agentq/webhooks/receiver';
import { Prisma } from './generated/prisma/client.ts';
import type { SqlClient } from './sql.ts';

export interface JobEventInput {
  type: string;
  data: unknown;
}

export interface JobWrite {
  /** Conditions on the job row (aliased `job`), e.g. the lease fence. The id is always matched. */
  where: Prisma.Sql;
  /** Extra `col = expr` assignments (comma-separated, no leading comma). */
  set?: Prisma.Sql;
  /** CTEs that run alongside; they may read `j` (the updated job row). Each is `name AS (...)`. */
  with?: Prisma.Sql[];
  events?: JobEventInput[];
  /** Append a `status` event holding the status object after the change. */
  statusEvent?: boolean;
  /** Write an outbox row for this webhook event when the job has a webhook_url. */
  webhook?: WebhookEventType;
}

export interface JobWriteResult {
  /** False when the conditions did not match (fence lost, status moved on, unknown job). */
  matched: boolean;
  /** Ids of the webhook deliveries written, to enqueue after commit. */
  deliveryIds: string[];
}

export async function writeJob(sql: SqlClient, jobId: string, w: JobWrite): Promise<JobWriteResult> {
  const events = w.events ?? [];
  const eventCount = events.length + (w.statusEvent ? 1 : 0);
  const set = w.set ? Prisma.sql`, ${w.set}` : Prisma.empty;
  const extra = w.with && w.with.length > 0 ? Prisma.sql`, ${Prisma.join(w.with, ', ')}` : Prisma.empty;
  const statusEvent = w.statusEvent
    ? Prisma.sql`UNION ALL SELECT j.id, j.event_seq, 'status', agentq_status_json(ROW(j.*)::job) FROM j`
    : Prisma.empty;
  const outbox = w.webhook
    ? Prisma.sql`, ob AS (
        INSERT INTO webhook_delivery (id, job_id, tenant_id, event_type, url, payload, next_attempt_at)
        SELECT gen_random_uuid(), j.id, j.tenant_id, ${w.webhook}, j.webhook_url,
               jsonb_build_object('type', ${w.webhook}::text, 'timestamp', agentq_iso(now()),
                                  'data', agentq_status_json(ROW(j.*)::job)),
               now()
        FROM j WHERE j.webhook_url IS NOT NULL
        RETURNING id)`
    : Prisma.sql`, ob AS (SELECT NULL::uuid AS id WHERE false)`;

  const rows = await sql.rows<{ matched: boolean; delivery_ids: string[] | null }>(Prisma.sql`
    WITH j AS (
      UPDATE job SET event_seq = event_seq + ${eventCount}, updated_at = now() ${set}
      WHERE job.id = ${jobId}::uuid AND ${w.where}
      RETURNING job.*
    ) ${extra},
    ev AS (
      INSERT INTO job_event (job_id, seq, type, data)
      SELECT j.id, j.event_seq - ${eventCount} + e.ord::int, e.value->>'type', e.value->'data'
      FROM j, jsonb_array_elements(${JSON.stringify(events)}::jsonb) WITH ORDINALITY AS e(value, ord)
      ${statusEvent}
    ) ${outbox}
    SELECT EXISTS (SELECT 1 FROM j) AS matched, (SELECT array_agg(id::text) FROM ob) AS delivery_ids`);
  const row = rows[0];
  return { matched: row?.matched === true, deliveryIds: row?.delivery_ids ?? [] };
}

export const webhookEventFor = (status: string): WebhookEventType | undefined =>
  status === 'succeeded' || status === 'failed' || status === 'cancelled' || status === 'waiting_approval'
    ? (`job.${status}` as WebhookEventType)
    : undefined;
