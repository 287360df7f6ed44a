// Standard Webhooks 1.0 symmetric signatures: v1 = base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).
//
// Runtime choice: WebCrypto (globalThis.crypto.subtle), not node:crypto. verifyWebhook is re-exported
// by the SDK for receivers, who may run on Deno, Bun, Cloudflare Workers or in a browser-like edge
// runtime; WebCrypto is the one HMAC API all of them (and Node >= 19 as a global) share. The price is
// that signing and verifying are async.
import { bytesToBase64 } from './base64.ts';
import type { WebhookEvent } from './payload.ts';
import { parseSecrets } from './secret.ts';

export interface WebhookHeaders {
  'webhook-id': string;
  /** Unix seconds of this attempt (not of the event). */
  'webhook-timestamp': string;
  /** `v1,<base64>` per secret, space-separated, current secret first. */
  'webhook-signature': string;
  'content-type': 'application/json';
}

export interface SignInput {
  /** Same on every attempt of one delivery: receivers use it as an idempotency key. */
  id: string;
  /** Time of this attempt; defaults to now. Only whole seconds are signed. */
  timestamp?: Date;
  body: string | Uint8Array;
  /** `whsec_…` secrets (array or comma-separated); each one adds a signature. */
  secrets: string | readonly string[];
}

// Printable ASCII only: whitespace and control characters cannot travel in a header value. Dots are
// refused separately: the signed content is dot-delimited, and the spec forbids them in the id.
const ID_PATTERN = /^[\x21-\x7e]{1,256}$/;

const encoder = new TextEncoder();

function signedContent(id: string, timestamp: string, body: string | Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const rest = typeof body === 'string' ? encoder.encode(body) : body;
  const out = new Uint8Array(prefix.length + rest.length);
  out.set(prefix, 0);
  out.set(rest, prefix.length);
  return out;
}

async function hmacBase64(key: Uint8Array, content: Uint8Array): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return bytesToBase64(new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, content)));
}

/** The four request headers for one attempt. Throws WebhookSecretError on a bad secret, TypeError on a bad id. */
export async function signWebhook({
  id,
  timestamp = new Date(),
  body,
  secrets,
}: SignInput): Promise<WebhookHeaders> {
  if (!ID_PATTERN.test(id) || id.includes('.'))
    throw new TypeError('webhook id must be 1-256 printable ASCII characters without "."');
  const seconds = Math.floor(timestamp.getTime() / 1000);
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('webhook timestamp is not a valid date');
  const ts = String(seconds);
  const content = signedContent(id, ts, body);
  const signatures = await Promise.all(parseSecrets(secrets).map((key) => hmacBase64(key, content)));
  return {
    'webhook-id': id,
    'webhook-timestamp': ts,
    'webhook-signature': signatures.map((s) => `v1,${s}`).join(' '),
    'content-type': 'application/json',
  };
}

export type VerificationFailure =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'
  | 'invalid_payload';

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(
    readonly reason: VerificationFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Node's IncomingHttpHeaders, a plain object, or a fetch Headers. Lookups are case-insensitive. */
export type HeadersLike =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

export interface VerifyInput {
  headers: HeadersLike;
  /** The raw request body, exactly as received: re-serialized JSON will not verify. */
  body: string | Uint8Array;
  /** Every secret that may have signed (array or comma-separated); any one matching is enough. */
  secrets: string | readonly string[];
  /** Allowed clock difference either way, against replays; default 300 (5 minutes). */
  toleranceSeconds?: number;
  /** For tests; defaults to the current time. */
  now?: Date;
}

function header(headers: HeadersLike, name: string): string | undefined {
  if (typeof headers.get === 'function')
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    // A header repeated on the wire arrives as an array; signatures stay space-separated either way.
    return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

/** Compares without an early exit, so the time taken says nothing about how much of a guess was right. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Checks a received webhook and returns its parsed body. Throws WebhookVerificationError (see
 * `reason`) when headers are missing, the timestamp is outside the tolerance, no `v1` signature
 * matches any secret, or the authentic body is not a JSON event; WebhookSecretError on a bad secret.
 * Signatures of other schemes (e.g. `v1a`) are ignored, as the spec asks.
 */
export async function verifyWebhook<T = WebhookEvent>(input: VerifyInput): Promise<T> {
  const { headers, body, secrets, toleranceSeconds = 300, now = new Date() } = input;
  const keys = parseSecrets(secrets);
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatureHeader = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatureHeader) {
    throw new WebhookVerificationError(
      'missing_headers',
      'missing webhook-id, webhook-timestamp or webhook-signature',
    );
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new WebhookVerificationError('invalid_timestamp', 'webhook-timestamp is not unix seconds');
  }
  const age = Math.floor(now.getTime() / 1000) - Number(timestamp);
  if (age > toleranceSeconds)
    throw new WebhookVerificationError('timestamp_too_old', 'webhook timestamp too old');
  if (-age > toleranceSeconds)
    throw new WebhookVerificationError('timestamp_too_new', 'webhook timestamp too new');

  const offered = signatureHeader
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => s.slice(3));
  const content = signedContent(id, timestamp, body);
  let matched = false;
  for (const key of keys) {
    const expected = await hmacBase64(key, content);
    // No break: every candidate is compared, so the loop's duration does not reveal which one matched.
    for (const candidate of offered) matched = constantTimeEqual(candidate, expected) || matched;
  }
  if (!matched) throw new WebhookVerificationError('no_matching_signature', 'no matching webhook signature');

  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body));
  } catch {
    throw new WebhookVerificationError('invalid_payload', 'webhook body is not JSON');
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as { type?: unknown }).type !== 'string'
  ) {
    throw new WebhookVerificationError('invalid_payload', 'webhook body is not an event object');
  }
  return parsed as T;
}
