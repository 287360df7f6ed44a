import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook, WebhookVerificationError } from '../src/sign.ts';

// Secrets of the reference library's own test suite and of our own; both decode to >= 24 bytes.
const SECRET_A = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SECRET_B = 'whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=';
const SECRET_C = 'whsec_dGhpcmQtc2VjcmV0LW5ldmVyLXVzZWQtdG8tc2lnbg==';
const BODY = '{"type":"job.succeeded","timestamp":"2026-01-01T00:00:00.000Z","data":{"job_id":"j1"}}';

/** Expects verifyWebhook to reject with this reason (a plain toThrow would also pass on a TypeError). */
async function rejectsWith(promise: Promise<unknown>, reason: WebhookVerificationError['reason']) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebhookVerificationError);
  expect((error as WebhookVerificationError).reason).toBe(reason);
}

describe('signWebhook', () => {
  it('matches the Standard Webhooks test vector', async () => {
    const headers = await signWebhook({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: new Date(1614265330 * 1000),
      body: '{"test": 2432232314}',
      secrets: SECRET_A,
    });
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      'content-type': 'application/json',
    });
  });

  it('produces signatures the reference library verifies', async () => {
    const headers = await signWebhook({
      id: 'd1b0c3e4-0000-4000-8000-000000000001',
      body: BODY,
      secrets: SECRET_A,
    });
    expect(new Webhook(SECRET_A).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
  });

  it('signs with every secret during rotation, current first, each verifiable alone', async () => {
    const headers = await signWebhook({ id: 'msg_rot', body: BODY, secrets: `${SECRET_A}, ${SECRET_B}` });
    const signatures = headers['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    const onlyA = await signWebhook({
      id: 'msg_rot',
      timestamp: new Date(Number(headers['webhook-timestamp']) * 1000),
      body: BODY,
      secrets: SECRET_A,
    });
    expect(signatures[0]).toBe(onlyA['webhook-signature']);
    for (const secret of [SECRET_A, SECRET_B]) {
      expect(new Webhook(secret).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
      await expect(verifyWebhook({ headers: { ...headers }, body: BODY, secrets: secret })).resolves.toEqual(
        JSON.parse(BODY),
      );
    }
    expect(() => new Webhook(SECRET_C).verify(BODY, { ...headers })).toThrow();
    await rejectsWith(
      verifyWebhook({ headers: { ...headers }, body: BODY, secrets: SECRET_C }),
      'no_matching_signature',
    );
  });

  it('refuses ids that would make the signed content ambiguous or cannot be sent as a header', async () => {
    for (const id of ['msg.1', 'a b', '', 'x\n']) {
      await expect(signWebhook({ id, body: BODY, secrets: SECRET_A })).rejects.toThrow(TypeError);
    }
  });
});

describe('verifyWebhook', () => {
  const reference = new Webhook(SECRET_A);
  const referenceHeaders = (id: string, at: Date, body = BODY) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': reference.sign(id, at, body),
  });

  it('accepts what the reference library signs and returns the parsed body', async () => {
    const event = await verifyWebhook({
      headers: referenceHeaders('msg_1', new Date()),
      body: BODY,
      secrets: SECRET_A,
    });
    expect(event.type).toBe('job.succeeded');
    expect(event.data).toEqual({ job_id: 'j1' });
  });

  it('accepts fetch Headers, upper-case names, repeated headers and byte bodies', async () => {
    const h = referenceHeaders('msg_2', new Date());
    await expect(
      verifyWebhook({ headers: new Headers(h), body: BODY, secrets: SECRET_A }),
    ).resolves.toBeTruthy();
    const upper = {
      'Webhook-Id': h['webhook-id'],
      'WEBHOOK-TIMESTAMP': h['webhook-timestamp'],
      'Webhook-Signature': [h['webhook-signature']],
    };
    await expect(verifyWebhook({ headers: upper, body: BODY, secrets: SECRET_A })).resolves.toBeTruthy();
    const bytes = new TextEncoder().encode(BODY);
    await expect(verifyWebhook({ headers: h, body: bytes, secrets: SECRET_A })).resolves.toEqual(
      JSON.parse(BODY),
    );
  });

  it('accepts any of several signatures and ignores other schemes', async () => {
    const h = referenceHeaders('msg_3', new Date());
    const mixed = { ...h, 'webhook-signature': `v1a,AAAA v1,bm90LWEtc2lnbmF0dXJl ${h['webhook-signature']}` };
    await expect(verifyWebhook({ headers: mixed, body: BODY, secrets: SECRET_A })).resolves.toBeTruthy();
    // A receiver mid-rotation lists both secrets; a message signed only by the old one still passes.
    await expect(
      verifyWebhook({ headers: h, body: BODY, secrets: [SECRET_B, SECRET_A] }),
    ).resolves.toBeTruthy();
  });

  it('rejects a tampered body', async () => {
    const h = referenceHeaders('msg_4', new Date());
    await rejectsWith(
      verifyWebhook({ headers: h, body: BODY.replace('j1', 'j2'), secrets: SECRET_A }),
      'no_matching_signature',
    );
  });

  it('rejects a tampered timestamp or id', async () => {
    const h = referenceHeaders('msg_5', new Date());
    const ts = { ...h, 'webhook-timestamp': String(Number(h['webhook-timestamp']) + 1) };
    await rejectsWith(verifyWebhook({ headers: ts, body: BODY, secrets: SECRET_A }), 'no_matching_signature');
    await rejectsWith(
      verifyWebhook({ headers: { ...h, 'webhook-id': 'msg_6' }, body: BODY, secrets: SECRET_A }),
      'no_matching_signature',
    );
  });

  it('rejects the wrong secret and signatures only of another scheme', async () => {
    const h = referenceHeaders('msg_7', new Date());
    await rejectsWith(verifyWebhook({ headers: h, body: BODY, secrets: SECRET_B }), 'no_matching_signature');
    for (const scheme of ['v1a,', 'v2,', ',']) {
      const other = { ...h, 'webhook-signature': h['webhook-signature'].replace('v1,', scheme) };
      await rejectsWith(
        verifyWebhook({ headers: other, body: BODY, secrets: SECRET_A }),
        'no_matching_signature',
      );
    }
  });

  it('rejects a signature that differs in any single character', async () => {
    const h = referenceHeaders('msg_12', new Date());
    const good = h['webhook-signature'];
    for (const i of [3, 10, good.length - 2, good.length - 1]) {
      const flipped = good.slice(0, i) + (good[i] === 'A' ? 'B' : 'A') + good.slice(i + 1);
      await rejectsWith(
        verifyWebhook({ headers: { ...h, 'webhook-signature': flipped }, body: BODY, secrets: SECRET_A }),
        'no_matching_signature',
      );
    }
  });

  it('enforces the timestamp tolerance both ways, 5 minutes by default', async () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const at = (offsetSeconds: number) =>
      referenceHeaders('msg_8', new Date(now.getTime() + offsetSeconds * 1000));
    await expect(
      verifyWebhook({ headers: at(-300), body: BODY, secrets: SECRET_A, now }),
    ).resolves.toBeTruthy();
    await rejectsWith(
      verifyWebhook({ headers: at(-301), body: BODY, secrets: SECRET_A, now }),
      'timestamp_too_old',
    );
    await expect(
      verifyWebhook({ headers: at(300), body: BODY, secrets: SECRET_A, now }),
    ).resolves.toBeTruthy();
    await rejectsWith(
      verifyWebhook({ headers: at(301), body: BODY, secrets: SECRET_A, now }),
      'timestamp_too_new',
    );
    await rejectsWith(
      verifyWebhook({ headers: at(-61), body: BODY, secrets: SECRET_A, now, toleranceSeconds: 60 }),
      'timestamp_too_old',
    );
  });

  it('rejects an old message even when its signature is valid (replay)', async () => {
    const headers = await signWebhook({
      id: 'msg_9',
      timestamp: new Date(Date.now() - 3600_000),
      body: BODY,
      secrets: SECRET_A,
    });
    await rejectsWith(
      verifyWebhook({ headers: { ...headers }, body: BODY, secrets: SECRET_A }),
      'timestamp_too_old',
    );
  });

  it('rejects missing headers and a non-numeric timestamp', async () => {
    const h = referenceHeaders('msg_10', new Date());
    const { 'webhook-signature': _, ...unsigned } = h;
    await rejectsWith(verifyWebhook({ headers: unsigned, body: BODY, secrets: SECRET_A }), 'missing_headers');
    await rejectsWith(
      verifyWebhook({ headers: { ...h, 'webhook-timestamp': '1e9' }, body: BODY, secrets: SECRET_A }),
      'invalid_timestamp',
    );
  });

  it('reports an authentic body that is not a JSON event as invalid_payload', async () => {
    for (const body of ['not json', '[1,2]', '"text"']) {
      const h = referenceHeaders('msg_11', new Date(), body);
      await rejectsWith(verifyWebhook({ headers: h, body, secrets: SECRET_A }), 'invalid_payload');
    }
  });
});
