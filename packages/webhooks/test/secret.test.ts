import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, parseSecret, parseSecrets, WebhookSecretError } from '../src/secret.ts';

const b64 = (bytes: number) => btoa('k'.repeat(bytes));

describe('parseSecret', () => {
  it('decodes the base64 after whsec_', () => {
    expect(parseSecret(`whsec_${btoa('x'.repeat(30))}`)).toEqual(new Uint8Array(30).fill('x'.charCodeAt(0)));
  });

  it('refuses secrets that are not whsec_ + base64 of 24-64 bytes, without echoing them', () => {
    const bad = [
      b64(32),
      `whsec_${b64(32).replace(/=+$/, '')}%`,
      `whsec_${b64(23)}`,
      `whsec_${b64(65)}`,
      'whsec_',
    ];
    for (const secret of bad) {
      let error: unknown;
      try {
        parseSecret(secret);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WebhookSecretError);
      const message = (error as Error).message;
      expect(message).toMatch(/webhook secret must/);
      expect(message).not.toContain(secret.replace('whsec_', '') || '\u0000');
    }
    expect(() => parseSecret(`whsec_${b64(24)}`)).not.toThrow();
    expect(() => parseSecret(`whsec_${b64(64)}`)).not.toThrow();
  });
});

describe('parseSecrets', () => {
  it('splits the WEBHOOK_SECRET list, keeping the current secret first', () => {
    const keys = parseSecrets(` whsec_${btoa('a'.repeat(24))} ,whsec_${btoa('b'.repeat(24))}`);
    expect(keys.map((k) => String.fromCharCode(k[0]!))).toEqual(['a', 'b']);
  });

  it('names the position of the bad entry and requires at least one', () => {
    expect(() => parseSecrets([`whsec_${b64(24)}`, 'nope'])).toThrow(/secret #2 must start with/);
    expect(() => parseSecrets(' , ')).toThrow(WebhookSecretError);
    expect(() => parseSecrets([])).toThrow(/at least one/);
  });
});

describe('generateSecret', () => {
  it('makes distinct 32-byte whsec_ secrets the reference library accepts', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(parseSecret(a)).toHaveLength(32);
    expect(generateSecret()).not.toBe(a);
    const wh = new Webhook(a);
    const at = new Date();
    const headers = {
      'webhook-id': 'msg_gen',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': wh.sign('msg_gen', at, '{}'),
    };
    expect(wh.verify('{}', headers)).toEqual({});
  });

  it('honours the size and refuses sizes outside the spec', () => {
    expect(parseSecret(generateSecret(64))).toHaveLength(64);
    expect(() => generateSecret(16)).toThrow(RangeError);
  });
});
