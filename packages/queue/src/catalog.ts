// Every kind of queued work, in one typed catalog: its queue, its payload schema, and how BullMQ retries it.
// Producers and consumers use only this (enqueue / parsePayload), so a payload can't drift between them.
// BullMQ jobs only carry ids: Postgres holds the state, so Redis can be lost and rebuilt (the reconciler).
import { z } from 'zod';

const uuid = z.string().uuid();

export const jobKinds = {
  /** Run (or resume) an agent job. The BullMQ job id is the agent job id, so a duplicate enqueue is a no-op. */
  agentRun: {
    queue: 'agent-runs',
    payload: z.object({ job_id: uuid, tenant_id: z.string().min(1) }),
    // Retries cover transient failures (provider down, Postgres blip); each retry resumes from the checkpoint.
    attempts: 8,
    backoff: { type: 'exponential', delay: 2_000 },
    jobId: (p: { job_id: string }) => p.job_id,
  },
  /** Deliver one webhook (one outbox row). Retries follow WEBHOOK_RETRY_SCHEDULE via the worker's backoff. */
  webhookDelivery: {
    queue: 'webhook-deliveries',
    payload: z.object({ delivery_id: uuid }),
    attempts: 1, // the worker sets attempts from the schedule when it enqueues
    backoff: { type: 'webhook', delay: 0 },
    jobId: (p: { delivery_id: string }) => `delivery-${p.delivery_id}`,
  },
  /** One firing of a recurring schedule: creates an ordinary job from the schedule's template. */
  scheduledRun: {
    queue: 'schedules',
    payload: z.object({ schedule_id: z.string().min(1), tenant_id: z.string().min(1) }),
    attempts: 3,
    backoff: { type: 'exponential', delay: 5_000 },
    jobId: undefined,
  },
} as const;

export type JobKind = keyof typeof jobKinds;
export type PayloadOf<K extends JobKind> = z.infer<(typeof jobKinds)[K]['payload']>;
export const QUEUE_NAMES = Object.values(jobKinds).map((k) => k.queue);

export class InvalidPayloadError extends Error {
  override name = 'InvalidPayloadError';
}

/** Parses a payload read from Redis; a bad one is a bug or tampering, never worth a retry. */
export function parsePayload<K extends JobKind>(kind: K, data: unknown): PayloadOf<K> {
  const parsed = jobKinds[kind].payload.safeParse(data);
  if (!parsed.success) {
    throw new InvalidPayloadError(
      `invalid ${kind} payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data as PayloadOf<K>;
}
