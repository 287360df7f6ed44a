// Webhook verification for receivers, re-exported from @agentq/webhooks/receiver (the runtime-neutral
// entry: WebCrypto and atob only), so verifying here is exactly what the platform's signer agrees with.
import type { WebhookEvent } from '@agentq/webhooks/receiver';
import type { Job } from './types.ts';

export {
  type HeadersLike,
  isWebhookEventType,
  type VerificationFailure,
  type VerifyInput,
  verifyWebhook,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventType,
  WebhookSecretError,
  WebhookVerificationError,
} from '@agentq/webhooks/receiver';

/** An agentq webhook body: `verifyWebhook<JobWebhookEvent>(…)` types `data` as the job's status object. */
export type JobWebhookEvent = WebhookEvent<Job>;
