// Delivers one webhook (one outbox row). The retry schedule is ours, kept in Postgres: after a failed
// attempt the BullMQ job is delayed until the next attempt (WEBHOOK_RETRY_SCHEDULE, or Retry-After when
// longer), with the same webhook-id every time. If Redis loses the delayed job, the reconciler re-enqueues
// the overdue row.
import type { Config, Logger } from '@agentq/config';
import type { DeliveriesRepo } from '@agentq/db';
import { parsePayload } from '@agentq/queue';
import { deliverOnce, parseSecrets, planNextAttempt } from '@agentq/webhooks';
import { DelayedError, type Job } from 'bullmq';

export const webhookIdFor = (deliveryId: string): string => `msg_${deliveryId}`;

export function createWebhookProcessor(deps: { config: Config; log: Logger; deliveries: DeliveriesRepo }) {
  const { config, log, deliveries } = deps;
  const secrets = config.WEBHOOK_SECRET ?? '';
  // Fail at start, not at the first delivery, when a secret is malformed (wrong length, bad base64).
  if (secrets) parseSecrets(secrets);

  return async function processDelivery(
    job: Job,
    token?: string,
    signal?: AbortSignal,
  ): Promise<{ status: string }> {
    const { delivery_id: id } = parsePayload('webhookDelivery', job.data);
    const delivery = await deliveries.get(id);
    if (delivery?.status !== 'pending') return { status: delivery?.status ?? 'missing' };
    const attempt = delivery.attempts + 1;
    if (secrets.length === 0) {
      await deliveries.recordAttempt(
        id,
        { attempt, statusCode: undefined, error: 'WEBHOOK_SECRET is not configured', durationMs: 0 },
        { status: 'refused' },
      );
      return { status: 'refused' };
    }
    const result = await deliverOnce({
      url: delivery.url,
      id: webhookIdFor(id),
      body: JSON.stringify(delivery.payload),
      secrets,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
      ...(signal ? { signal } : {}),
    });
    const plan = planNextAttempt(result, { attempt, schedule: config.WEBHOOK_RETRY_SCHEDULE });
    const record = {
      attempt,
      statusCode: result.statusCode,
      error: result.error,
      durationMs: result.durationMs,
    };
    const dlog = log.child({ delivery_id: id, job_id: delivery.job_id, tenant: delivery.tenant_id, attempt });
    if (plan.action === 'stop') {
      await deliveries.recordAttempt(id, record, { status: plan.status });
      dlog[plan.status === 'delivered' ? 'info' : 'warn'](
        { status_code: result.statusCode, error: result.error },
        `webhook ${plan.status}`,
      );
      return { status: plan.status };
    }
    const nextAttemptAt = new Date(Date.now() + plan.delayMs);
    await deliveries.recordAttempt(id, record, { status: 'pending', nextAttemptAt });
    dlog.warn(
      { status_code: result.statusCode, error: result.error, retry_in_ms: plan.delayMs },
      'webhook attempt failed; will retry',
    );
    await job.moveToDelayed(nextAttemptAt.getTime(), token);
    throw new DelayedError();
  };
}
