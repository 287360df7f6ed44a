// Standard Webhooks symmetric secrets: `whsec_` + base64 of 24..64 random bytes (the spec's bounds).
// WEBHOOK_SECRET may hold several, comma-separated, during rotation; the first is the current one.
// Error messages name the position of a bad secret, never its value, because they end up in logs.
import { base64ToBytes, bytesToBase64 } from './base64.ts';

export const SECRET_PREFIX = 'whsec_';
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

export class WebhookSecretError extends Error {
  override name = 'WebhookSecretError';
}

/** The HMAC key behind one `whsec_…` secret. Throws WebhookSecretError when it is not one. */
export function parseSecret(secret: string, label = 'webhook secret'): Uint8Array {
  const text = secret.trim();
  if (!text.startsWith(SECRET_PREFIX)) {
    throw new WebhookSecretError(`${label} must start with "${SECRET_PREFIX}"`);
  }
  const key = base64ToBytes(text.slice(SECRET_PREFIX.length));
  if (key === undefined) {
    throw new WebhookSecretError(`${label} must be "${SECRET_PREFIX}" followed by standard padded base64`);
  }
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new WebhookSecretError(
      `${label} must decode to ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes, got ${key.length}`,
    );
  }
  return key;
}

/**
 * The keys of a secret list, current first. Accepts the raw WEBHOOK_SECRET value (comma-separated)
 * or an array; throws WebhookSecretError when the list is empty or any entry is invalid.
 */
export function parseSecrets(secrets: string | readonly string[]): Uint8Array[] {
  const list = (typeof secrets === 'string' ? secrets.split(',') : secrets)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new WebhookSecretError('at least one webhook secret is required');
  return list.map((s, i) =>
    parseSecret(s, list.length === 1 ? 'webhook secret' : `webhook secret #${i + 1}`),
  );
}

/** A new random secret (32 bytes by default) in `whsec_` form, e.g. for `agentq` CLI or docs. */
export function generateSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    throw new RangeError(`secret size must be ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes`);
  }
  return SECRET_PREFIX + bytesToBase64(crypto.getRandomValues(new Uint8Array(bytes)));
}
