import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, json, post, startPlatform, type TestPlatform } from '../../../test-support/platform.ts';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
  at: number;
}

let p: TestPlatform;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** How many times each path answers 500 before it answers 200. */
const failures = new Map<string, number>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body, path: req.url ?? '', at: Date.now() });
      const left = failures.get(req.url ?? '') ?? 0;
      if (req.url === '/gone') return res.writeHead(410).end();
      if (req.url === '/lost' && left > 0) {
        failures.set('/lost', 0);
        return res.writeHead(429, { 'retry-after': '4' }).end();
      }
      if (left > 0) {
        failures.set(req.url ?? '', left - 1);
        return res.writeHead(500).end('try later');
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  p = await startPlatform({
    label: 'webhooks',
    env: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '1,1,1' },
  });
});
afterAll(async () => {
  await p?.stop();
  receiver?.close();
});

describe('webhooks', () => {
  it('arrive signed per Standard Webhooks and verify with the reference library', async () => {
    const res = await post(`${p.url}/submit`, {
      task: 't',
      script: [{ text: 'hello' }],
      webhook_url: `${receiverUrl}/ok`,
    });
    const { job_id } = await json<{ job_id: string }>(res);
    const hit = await eventually(() => received.find((r) => r.path === '/ok'));
    const verified = new Webhook(SECRET).verify(hit.body, hit.headers as Record<string, string>) as {
      type: string;
      data: { job_id: string; status: string; result: string };
    };
    expect(verified.type).toBe('job.succeeded');
    expect(verified.data).toMatchObject({ job_id, status: 'succeeded', result: 'hello' });
    expect(hit.headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/);
    expect(() => new Webhook(SECRET).verify(`${hit.body} `, hit.headers as Record<string, string>)).toThrow();
  });

  it('retries a failing receiver with the same webhook-id, and logs every attempt', async () => {
    failures.set('/flaky', 2);
    const res = await post(`${p.url}/submit`, {
      task: 't',
      script: [{ text: 'x' }],
      webhook_url: `${receiverUrl}/flaky`,
    });
    const { job_id } = await json<{ job_id: string }>(res);
    type Log = { status: string; attempts: number; attempt_log: { status_code: number }[] }[];
    const deliveries = await eventually(async () => {
      const log = await json<Log>(await fetch(`${p.url}/jobs/${job_id}/deliveries`));
      return log[0]?.status === 'delivered' ? log : undefined;
    });
    const ids = new Set(received.filter((r) => r.path === '/flaky').map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(deliveries[0]?.attempts).toBe(3);
    expect(deliveries[0]?.attempt_log.map((a) => a.status_code)).toEqual([500, 500, 200]);
  });

  it('stops retrying on 410 Gone', async () => {
    const res = await post(`${p.url}/submit`, {
      task: 't',
      script: [{ text: 'x' }],
      webhook_url: `${receiverUrl}/gone`,
    });
    const { job_id } = await json<{ job_id: string }>(res);
    await eventually(async () => {
      const log = await json<{ status: string }[]>(await fetch(`${p.url}/jobs/${job_id}/deliveries`));
      return log[0]?.status === 'gone' ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(received.filter((r) => r.path === '/gone')).toHaveLength(1);
  });

  it('refuses plainly private webhook URLs at submit when private destinations are not allowed', async () => {
    const strict = await startPlatform({
      label: 'webhooks_strict',
      env: { WEBHOOK_SECRET: SECRET },
      workers: 0,
    });
    try {
      for (const url of [
        'http://127.0.0.1:9/x',
        'http://localhost/x',
        'http://[::1]/x',
        'http://169.254.169.254/latest',
        'http://2130706433/',
      ]) {
        const res = await post(`${strict.url}/submit`, {
          task: 't',
          script: [{ text: 'x' }],
          webhook_url: url,
        });
        expect(res.status, url).toBe(400);
        expect((await json<{ error: { message: string } }>(res)).error.message).toMatch(/^webhook_url/);
      }
    } finally {
      await strict.stop();
    }
  });
});

describe('the outbox', () => {
  it('delivers a webhook whose queue entry Redis lost: the reconciler finds the overdue delivery in Postgres', async () => {
    failures.set('/lost', 1);
    const res = await post(`${p.url}/submit`, {
      task: 't',
      script: [{ text: 'x' }],
      webhook_url: `${receiverUrl}/lost`,
    });
    const { job_id } = await json<{ job_id: string }>(res);
    // First attempt fails (500); the retry waits in Redis as a delayed job — which Redis now loses.
    await eventually(() => (received.some((r) => r.path === '/lost') ? true : undefined));
    await eventually(async () =>
      (await p.queues.queue('webhookDelivery').getDelayedCount()) > 0 ? true : undefined,
    );
    await p.queues.queue('webhookDelivery').obliterate({ force: true });
    const log = await eventually(async () => {
      const d = await json<{ status: string; attempts: number }[]>(
        await fetch(`${p.url}/jobs/${job_id}/deliveries`),
      );
      return d[0]?.status === 'delivered' ? d : undefined;
    }, 20_000);
    expect(log[0]?.attempts).toBe(2);
    // Not delivered by the lost delayed job: the second attempt came after Retry-After plus the overdue grace.
    const times = received.filter((r) => r.path === '/lost').map((r) => r.at);
    expect(times[1]! - times[0]!).toBeGreaterThan(4_000 + 4_000);
    expect(new Set(received.filter((r) => r.path === '/lost').map((r) => r.headers['webhook-id'])).size).toBe(
      1,
    );
  }, 30_000);
});
