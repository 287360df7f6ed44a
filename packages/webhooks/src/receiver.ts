// The runtime-neutral subset for webhook receivers, exported as `@agentq/webhooks/receiver` so the SDK
// can re-export verifyWebhook without pulling in deliver.ts/destination.ts (node:http, node:dns).
// Everything reachable from here uses only WebCrypto, TextEncoder and atob/btoa.
export {
  isWebhookEventType,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventType,
} from './payload.ts';
export { WebhookSecretError } from './secret.ts';
export {
  type HeadersLike,
  type VerificationFailure,
  type VerifyInput,
  verifyWebhook,
  WebhookVerificationError,
} from './sign.ts';
