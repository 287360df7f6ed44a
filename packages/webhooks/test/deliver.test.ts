// deliverOnce against a real HTTP server on 127.0.0.1 (hence allowPrivate: true, except where the
// refusal itself is under test). Each route plays one kind of receiver.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverOnce } from '../src/deliver.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OLD_SECRET = 'whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=';
const BODY =
  '{"type":"job.succeeded","timestamp":"2026-01-01T00:00:00.000Z","data":{"job_id":"j1","note":"é"}}';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
let received: Received[] = [];
let server: http.Server;
let base: string;
/** Per huge route: how many bytes the server handed to the socket before the client hung up. */
const hugeSent = new Map<string, number>();
const CHUNK = Buffer.alloc(1024 * 1024, 'y');
const HUGE_BYTES = 64 * CHUNK.length;

/**
 * Streams a body far larger than socket buffers, honouring backpressure, so the byte count shows how
 * much the client actually read: all HUGE_BYTES only if it downloaded the whole thing.
 */
const huge = (path: string, status: number) => (res: http.ServerResponse) => {
  let sent = 0;
  res.once('close', () => hugeSent.set(path, sent));
  res.writeHead(status);
  const pump = () => {
    while (sent < HUGE_BYTES && !res.destroyed) {
      sent += CHUNK.length;
      if (!res.write(CHUNK)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
};

const routes: Record<string, (res: http.ServerResponse) => void> = {
  '/ok': (res) => res.writeHead(200).end('thanks'),
  '/ok-huge': huge('/ok-huge', 200),
  '/fail': (res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('boom:\n\tdatabase\u0007 down'),
  '/fail-huge': huge('/fail-huge', 503),
  '/limited': (res) => res.writeHead(429, { 'retry-after': '120' }).end(),
  '/limited-date': (res) =>
    res.writeHead(503, { 'retry-after': new Date(Date.now() + 600_000).toUTCString() }).end('later'),
  '/gone': (res) => res.writeHead(410, { 'retry-after': '5' }).end('unsubscribed'),
  '/redirect': (res) => res.writeHead(307, { location: '/ok' }).end(),
  '/hang': () => {}, // never answers
  '/stall-body': (res) => {
    res.writeHead(502);
    res.write('partial'); // headers and a little body, then nothing
  },
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      (routes[req.url ?? ''] ?? ((r: http.ServerResponse) => r.writeHead(404).end()))(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
});

const deliver = (path: string, extra: Partial<Parameters<typeof deliverOnce>[0]> = {}) =>
  deliverOnce({
    url: `${base}${path}`,
    id: 'd7f1c0de-0000-4000-8000-000000000001',
    body: BODY,
    secrets: SECRET,
    timeoutMs: 5_000,
    allowPrivate: true,
    ...extra,
  });

describe('deliverOnce', () => {
  it('2xx → delivered, with a signed POST of the exact body', async () => {
    const result = await deliver('/ok', { secrets: `${SECRET},${OLD_SECRET}` });
    expect(result).toMatchObject({ outcome: 'delivered', statusCode: 200 });
    expect(result.error).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(0);

    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req!.method).toBe('POST');
    expect(req!.body).toBe(BODY);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['content-length']).toBe(String(Buffer.byteLength(BODY)));
    expect(req!.headers['webhook-id']).toBe('d7f1c0de-0000-4000-8000-000000000001');
    const ts = Number(req!.headers['webhook-timestamp']);
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(10);
    expect(String(req!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    // The receiver's view: both the current and the old secret verify what arrived.
    const asReceived = {
      'webhook-id': String(req!.headers['webhook-id']),
      'webhook-timestamp': String(req!.headers['webhook-timestamp']),
      'webhook-signature': String(req!.headers['webhook-signature']),
    };
    expect(new Webhook(SECRET).verify(req!.body, asReceived)).toEqual(JSON.parse(BODY));
    expect(new Webhook(OLD_SECRET).verify(req!.body, asReceived)).toEqual(JSON.parse(BODY));
  });

  it('keeps the webhook-id across attempts and re-signs each with its own timestamp', async () => {
    await deliver('/fail', { now: new Date(Date.now() - 60_000) });
    await deliver('/ok');
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([
      'd7f1c0de-0000-4000-8000-000000000001',
      'd7f1c0de-0000-4000-8000-000000000001',
    ]);
    const [first, second] = received.map((r) => Number(r.headers['webhook-timestamp']));
    expect(second! - first!).toBeGreaterThanOrEqual(59);
  });

  it('does not download a 2xx body', async () => {
    const result = await deliver('/ok-huge');
    expect(result.outcome).toBe('delivered');
    await expect.poll(() => hugeSent.get('/ok-huge')).toBeLessThan(HUGE_BYTES / 2);
  });

  it('500 → retry, with a short single-line piece of the answer', async () => {
    const result = await deliver('/fail');
    expect(result).toMatchObject({
      outcome: 'retry',
      statusCode: 500,
      error: 'HTTP 500: boom: database down',
    });
    expect(result.retryAfterMs).toBeUndefined();
  });

  it('reads only a small part of a large error body', async () => {
    const result = await deliver('/fail-huge');
    expect(result.outcome).toBe('retry');
    expect(result.statusCode).toBe(503);
    expect(result.error!.length).toBeLessThanOrEqual(300);
    expect(result.error).toMatch(/^HTTP 503: y{100,}$/);
    await expect.poll(() => hugeSent.get('/fail-huge')).toBeLessThan(HUGE_BYTES / 2);
  });

  it('429 + Retry-After seconds → retry with retryAfterMs', async () => {
    const result = await deliver('/limited');
    expect(result).toMatchObject({
      outcome: 'retry',
      statusCode: 429,
      retryAfterMs: 120_000,
      error: 'HTTP 429',
    });
  });

  it('503 + Retry-After HTTP-date → retry with the time left until then', async () => {
    const result = await deliver('/limited-date');
    expect(result.outcome).toBe('retry');
    // The header has whole seconds, so up to 1 s is lost to rounding, plus the request's own time.
    expect(result.retryAfterMs).toBeGreaterThan(595_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(600_000);
  });

  it('410 → gone (Retry-After ignored)', async () => {
    const result = await deliver('/gone');
    expect(result).toMatchObject({ outcome: 'gone', statusCode: 410, error: 'HTTP 410: unsubscribed' });
    expect(result.retryAfterMs).toBeUndefined();
  });

  it('3xx → retry without following the redirect', async () => {
    const result = await deliver('/redirect');
    expect(result).toMatchObject({ outcome: 'retry', statusCode: 307 });
    expect(received.map((r) => r.url)).toEqual(['/redirect']);
  });

  it('no answer in time → retry with a timeout error', async () => {
    const result = await deliver('/hang', { timeoutMs: 300 });
    expect(result.outcome).toBe('retry');
    expect(result.statusCode).toBeUndefined();
    expect(result.error).toBe('timed out after 300 ms');
    expect(result.durationMs).toBeGreaterThanOrEqual(250);
    expect(result.durationMs).toBeLessThan(3_000);
  });

  it('an error body that stalls is cut off by the same deadline', async () => {
    const started = Date.now();
    const result = await deliver('/stall-body', { timeoutMs: 300 });
    expect(result).toMatchObject({ outcome: 'retry', statusCode: 502, error: 'HTTP 502: partial' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('connection refused → retry with the system error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await deliverOnce({
      url: `http://127.0.0.1:${port}/`,
      id: 'msg_refused',
      body: BODY,
      secrets: SECRET,
      timeoutMs: 5_000,
      allowPrivate: true,
    });
    expect(result.outcome).toBe('retry');
    expect(result.statusCode).toBeUndefined();
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('a loopback destination without allowPrivate → refused, nothing sent', async () => {
    const result = await deliver('/ok', { allowPrivate: false });
    expect(result.outcome).toBe('refused');
    expect(result.statusCode).toBeUndefined();
    expect(result.error).toMatch(/loopback/);
    expect(received).toHaveLength(0);
  });

  it('a non-http URL → refused', async () => {
    const result = await deliverOnce({
      url: 'file:///etc/passwd',
      id: 'msg_file',
      body: BODY,
      secrets: SECRET,
      timeoutMs: 1_000,
      allowPrivate: true,
    });
    expect(result.outcome).toBe('refused');
  });

  it('never puts the secret or URL credentials in its result', async () => {
    const key = SECRET.slice('whsec_'.length);
    const results = [
      await deliver('/fail'),
      await deliverOnce({
        url: `http://user:hunter2@127.0.0.1:1/`,
        id: 'msg_creds',
        body: BODY,
        secrets: SECRET,
        timeoutMs: 1_000,
        allowPrivate: false,
      }),
    ];
    expect(results[1]!.outcome).toBe('refused');
    for (const result of results) {
      const text = JSON.stringify(result);
      expect(text).not.toContain(key);
      expect(text).not.toContain('hunter2');
    }
  });

  it('rejects with the caller’s reason when its signal aborts, instead of classifying', async () => {
    const controller = new AbortController();
    const pending = deliver('/hang', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 100);
    await expect(pending).rejects.toThrow('shutting down');
    const already = AbortSignal.abort(new Error('before start'));
    await expect(deliver('/ok', { signal: already })).rejects.toThrow('before start');
  });

  it('throws on an invalid secret (configuration, not a delivery failure)', async () => {
    await expect(deliver('/ok', { secrets: 'not-a-secret' })).rejects.toThrow(/whsec_/);
    expect(received).toHaveLength(0);
  });
});
