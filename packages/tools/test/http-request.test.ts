import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequestTool, TransientHttpStatus } from '../src/builtin/http-request.ts';
import { withValidation } from '../src/validation.ts';
import { ctx, type LocalServer, localServer } from './support.ts';

let server: LocalServer;
beforeAll(async () => {
  server = await localServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/echo':
        res.writeHead(201, { 'content-type': 'application/json', 'x-server': 'test' });
        res.end(JSON.stringify({ method: req.method, body, key: req.headers['idempotency-key'] ?? null }));
        return;
      case '/big':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('é'.repeat(5000)); // 10000 bytes of two-byte characters
        return;
      case '/png':
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.alloc(300, 1));
        return;
      case '/busy':
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('try again later');
        return;
      case '/missing':
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no such thing');
        return;
      case '/to-internal':
        res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
        res.end();
        return;
      default:
        // /slow: never answers
        return;
    }
  });
});
afterAll(() => server.close());

const tool = (allowPrivate: boolean, maxResponseBytes = 100_000) =>
  withValidation(httpRequestTool({ allowPrivate, maxResponseBytes, timeoutMs: 5000 }));

describe('http_request', () => {
  it('returns status, headers and body, and sends the call idempotency key', async () => {
    const result = await tool(true).execute(
      {
        method: 'POST',
        url: `${server.origin}/echo`,
        headers: { 'content-type': 'text/plain', host: 'evil.example' },
        body: 'hi',
      },
      ctx({ idempotencyKey: 'aq_jobX_3_1' }),
    );
    expect(result.isError).toBeUndefined();
    const structured = result.structured as { status: number; headers: Record<string, string>; body: string };
    expect(structured.status).toBe(201);
    expect(structured.headers['x-server']).toBe('test');
    expect(JSON.parse(structured.body)).toEqual({ method: 'POST', body: 'hi', key: 'aq_jobX_3_1' });
    expect(JSON.parse(result.content)).toEqual(structured);
    // A model-chosen Host header is dropped; the real host is sent.
    expect(server.seen.at(-1)?.headers.host).toBe(`127.0.0.1:${server.port}`);
  });

  it("keeps the caller's own Idempotency-Key", async () => {
    const result = await tool(true).execute(
      { method: 'POST', url: `${server.origin}/echo`, headers: { 'IDEMPOTENCY-KEY': 'mine' } },
      ctx(),
    );
    expect(JSON.parse((result.structured as { body: string }).body).key).toBe('mine');
  });

  it('refuses private destinations unless allowed, without sending anything', async () => {
    const before = server.seen.length;
    const result = await tool(false).execute({ method: 'GET', url: `${server.origin}/echo` }, ctx());
    expect(result.isError).toBe(true);
    expect(result.content).toContain('is a loopback address');
    const metadata = await tool(true).execute(
      { method: 'GET', url: 'http://169.254.169.254/latest/' },
      ctx(),
    );
    expect(metadata).toMatchObject({ isError: true, content: expect.stringContaining('cloud metadata') });
    const scheme = await tool(true).execute({ method: 'GET', url: 'file:///etc/passwd' }, ctx());
    expect(scheme).toMatchObject({ isError: true, content: expect.stringContaining('only http and https') });
    expect(server.seen.length).toBe(before);
  });

  it('truncates the body at the byte limit on a character boundary, with a note', async () => {
    const result = await tool(true, 1001).execute({ method: 'GET', url: `${server.origin}/big` }, ctx());
    const structured = result.structured as { body: string; note?: string };
    expect(structured.body).toBe('é'.repeat(500));
    expect(structured.note).toBe('body truncated to the first 1001 bytes');
    const whole = await tool(true).execute({ method: 'GET', url: `${server.origin}/big` }, ctx());
    expect((whole.structured as { body: string; note?: string }).note).toBeUndefined();
  });

  it('describes binary bodies instead of returning garbage', async () => {
    const result = await tool(true).execute({ method: 'GET', url: `${server.origin}/png` }, ctx());
    expect((result.structured as { body: string }).body).toBe('<300 bytes of image/png, not shown>');
  });

  it('shows 4xx answers to the model but throws on 503 so the loop retries with the same key', async () => {
    const missing = await tool(true).execute({ method: 'GET', url: `${server.origin}/missing` }, ctx());
    expect(missing.isError).toBeUndefined();
    expect(missing.structured).toMatchObject({ status: 404, body: 'no such thing' });
    const busy = tool(true).execute({ method: 'POST', url: `${server.origin}/busy` }, ctx());
    await expect(busy).rejects.toBeInstanceOf(TransientHttpStatus);
    await expect(busy).rejects.toThrow('HTTP 503: try again later');
  });

  it('re-checks redirects: even with allowPrivate, a redirect to cloud metadata is refused', async () => {
    const before = server.seen.length;
    const result = await tool(true).execute(
      { method: 'GET', url: `${server.origin}/to-internal?to=http://169.254.169.254/latest/meta-data/` },
      ctx(),
    );
    expect(result).toMatchObject({
      isError: true,
      content: expect.stringContaining('refused to connect to http://169.254.169.254/latest/meta-data/'),
    });
    expect(server.seen.length).toBe(before + 1); // the first hop was made, the second was not
  });

  it('follows allowed redirects and says where the body came from', async () => {
    const result = await tool(true).execute(
      { method: 'GET', url: `${server.origin}/to-internal?to=/echo` },
      ctx(),
    );
    expect(result.structured).toMatchObject({ status: 201, url: `${server.origin}/echo` });
    const direct = await tool(true).execute({ method: 'GET', url: `${server.origin}/echo` }, ctx());
    expect(direct.structured).not.toHaveProperty('url');
  });

  it('rejects invalid input before sending', async () => {
    const result = await tool(true).execute({ method: 'FETCH', url: `${server.origin}/echo` }, ctx());
    expect(result.content).toMatch(/^invalid input: method: must be one of "GET"/);
  });

  it('stops when the call is aborted', async () => {
    const controller = new AbortController();
    const pending = tool(true).execute(
      { method: 'GET', url: `${server.origin}/slow` },
      ctx({ signal: controller.signal }),
    );
    setTimeout(() => controller.abort(new Error('job cancelled')), 50);
    const started = Date.now();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
