// verifyWebhook as the SDK exports it, against signatures made by the platform's own signer.
import { buildEventBody, verifyWebhook as platformVerify, signWebhook } from '@agentq/webhooks';
import { describe, expect, it } from 'vitest';
import { type JobWebhookEvent, verifyWebhook, WebhookVerificationError } from '../src/index.ts';

const SECRET = `whsec_${btoa('sdk-round-trip-secret-0123456789abcdef')}`;
const OLD_SECRET = `whsec_${btoa('sdk-previous-secret-0123456789abcdef')}`;
const job = { job_id: 'j-1', status: 'succeeded', result: 'hi' };

async function reason(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebhookVerificationError);
  return (error as WebhookVerificationError).reason;
}

describe('verifyWebhook (re-exported)', () => {
  it('is the platform verifier itself, not a copy', () => {
    expect(verifyWebhook).toBe(platformVerify);
  });

  it('round-trips: what signWebhook signs verifies, with fetch Headers or a plain object', async () => {
    const body = buildEventBody('job.succeeded', job, '2026-01-01T00:00:00.000Z');
    const headers = await signWebhook({ id: 'msg_1', body, secrets: SECRET });
    const expected = { type: 'job.succeeded', timestamp: '2026-01-01T00:00:00.000Z', data: job };

    const fromHeaders = await verifyWebhook<JobWebhookEvent>({
      headers: new Headers({ ...headers }),
      body,
      secrets: SECRET,
    });
    expect(fromHeaders).toEqual(expected);
    expect(
      await verifyWebhook({ headers: { ...headers }, body: new TextEncoder().encode(body), secrets: SECRET }),
    ).toEqual(expected);
    // During rotation a receiver lists both secrets; a body signed with the old one still verifies.
    const old = await signWebhook({ id: 'msg_2', body, secrets: OLD_SECRET });
    expect(await verifyWebhook({ headers: { ...old }, body, secrets: [SECRET, OLD_SECRET] })).toEqual(
      expected,
    );
  });

  it('refuses a changed body, another secret, a replayed old timestamp and missing headers', async () => {
    const body = buildEventBody('job.failed', job);
    const headers = await signWebhook({ id: 'msg_3', body, secrets: SECRET });
    expect(
      await reason(
        verifyWebhook({ headers: { ...headers }, body: body.replace('hi', 'ho'), secrets: SECRET }),
      ),
    ).toBe('no_matching_signature');
    expect(await reason(verifyWebhook({ headers: { ...headers }, body, secrets: OLD_SECRET }))).toBe(
      'no_matching_signature',
    );
    const stale = await signWebhook({
      id: 'msg_4',
      body,
      secrets: SECRET,
      timestamp: new Date(Date.now() - 600_000),
    });
    expect(await reason(verifyWebhook({ headers: { ...stale }, body, secrets: SECRET }))).toBe(
      'timestamp_too_old',
    );
    const { 'webhook-signature': _, ...unsigned } = headers;
    expect(await reason(verifyWebhook({ headers: { ...unsigned }, body, secrets: SECRET }))).toBe(
      'missing_headers',
    );
  });
});
