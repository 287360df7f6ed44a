// The JSON body of every webhook: Standard Webhooks' recommended {type, timestamp, data} envelope,
// where data is the job's status object (the same object GET /v1/jobs/:id answers with).

export const WEBHOOK_EVENT_TYPES = [
  'job.succeeded',
  'job.failed',
  'job.cancelled',
  'job.waiting_approval',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * A parsed webhook body. `timestamp` is when the event happened (ISO 8601, UTC), not when this
 * attempt was sent — that is the `webhook-timestamp` header. TData defaults to a plain object because
 * the status object's type belongs to the API/SDK; they narrow it with `WebhookEvent<JobStatus>`.
 */
export interface WebhookEvent<TData = Record<string, unknown>> {
  type: WebhookEventType;
  timestamp: string;
  data: TData;
}

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly unknown[]).includes(value);
}

/**
 * The exact body string to sign and send. Built once and stored/reused for every attempt: the
 * signature covers these bytes, so nothing may re-serialize the JSON between signing and sending.
 */
export function buildEventBody(
  type: WebhookEventType,
  data: unknown,
  timestamp: Date | string = new Date(),
): string {
  if (!isWebhookEventType(type)) throw new TypeError(`unknown webhook event type: ${String(type)}`);
  // JSON.stringify would silently drop an undefined `data`, sending a body without it.
  if (data === undefined) throw new TypeError('webhook event data is required');
  const iso = typeof timestamp === 'string' ? new Date(timestamp) : timestamp;
  if (Number.isNaN(iso.getTime())) throw new RangeError('webhook event timestamp is not a valid date');
  const event: WebhookEvent<unknown> = { type, timestamp: iso.toISOString(), data };
  return JSON.stringify(event);
}
