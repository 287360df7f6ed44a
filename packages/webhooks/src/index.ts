// @agentq/webhooks: Standard Webhooks 1.0 signing/verification and the delivery policy.
// sign.ts, secret.ts, payload.ts, policy.ts and retry-after.ts are runtime-neutral (WebCrypto, atob):
// the SDK may re-export them. deliver.ts and destination.ts are Node-only (node:http, node:dns).
export { base64ToBytes, bytesToBase64 } from './base64.ts';
export { type DeliverInput, type DeliveryResult, deliverOnce } from './deliver.ts';
export {
  assertPublicUrl,
  classifyAddress,
  DestinationRefused,
  type GuardedFetchInit,
  type GuardedFetchOptions,
  guardedFetch,
} from './destination.ts';
export {
  buildEventBody,
  isWebhookEventType,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventType,
} from './payload.ts';
export {
  classifyResponse,
  DEFAULT_RETRY_SCHEDULE,
  type DeliveryOutcome,
  MAX_RETRY_AFTER_MS,
  type NextAttemptInput,
  type NextStep,
  nextAttemptDelay,
  planNextAttempt,
  totalAttempts,
} from './policy.ts';
export { parseHttpDate, parseRetryAfter } from './retry-after.ts';
export {
  generateSecret,
  MAX_SECRET_BYTES,
  MIN_SECRET_BYTES,
  parseSecret,
  parseSecrets,
  SECRET_PREFIX,
  WebhookSecretError,
} from './secret.ts';
export {
  type HeadersLike,
  type SignInput,
  signWebhook,
  type VerificationFailure,
  type VerifyInput,
  verifyWebhook,
  type WebhookHeaders,
  WebhookVerificationError,
} from './sign.ts';
