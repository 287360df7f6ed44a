import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, localServer } from '../../../test-support/local-server.ts';
import {
  assertPublicUrl,
  classifyAddress,
  DestinationRefused,
  guardedFetch,
  type Resolver,
} from '../src/destination.ts';

// A resolver that must not be reached: literal addresses are judged without DNS.
const noDns: Resolver = async (host) => {
  throw new Error(`unexpected DNS lookup of ${host}`);
};
const resolverFor =
  (table: Record<string, string[]>, calls: string[] = []): Resolver =>
  async (host) => {
    calls.push(host);
    const found = table[host];
    if (!found) throw new Error(`ENOTFOUND ${host}`);
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'cloud metadata'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped IPv6'],
    ['::ffff:8.8.8.8', 'IPv4-mapped IPv6'],
    ['::ffff:169.254.169.254', 'cloud metadata'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:a00:1::', 'private'],
    ['2001:db8::1', 'documentation'],
  ])('%s is %s', (ip, reason) => {
    expect(classifyAddress(ip)?.reason).toBe(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '64:ff9b::808:808',
  ])('%s is public', (ip) => {
    expect(classifyAddress(ip)).toBeUndefined();
  });
});

describe('assertPublicUrl', () => {
  it.each([
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.0.0.1/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://0/', 'unspecified'],
    ['http://[::ffff:127.0.0.1]/', 'IPv4-mapped'],
    ['http://[::1]:8080/', 'loopback'],
    ['http://[::]/', 'unspecified'],
    ['http://10.0.0.1/', 'private'],
    ['http://100.64.1.1/', 'carrier-grade NAT'],
    ['http://169.254.169.254/latest/meta-data/', 'cloud metadata'],
    ['http://[fd00:ec2::254]/', 'cloud metadata'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://224.0.0.1/', 'multicast'],
  ])('refuses %s without DNS (%s)', async (url, reason) => {
    const error = await assertPublicUrl(url, { allowPrivate: false, resolve: noDns }).catch((e) => e);
    expect(error).toBeInstanceOf(DestinationRefused);
    expect(error.message).toContain(reason);
  });

  it.each([
    'file:///etc/passwd',
    'ftp://example.com/',
    'gopher://example.com/',
    'javascript:alert(1)',
    'not a url',
  ])('refuses %s', async (url) => {
    await expect(assertPublicUrl(url, { allowPrivate: true, resolve: noDns })).rejects.toBeInstanceOf(
      DestinationRefused,
    );
  });

  it('refuses metadata and localhost names before resolving them', async () => {
    for (const url of [
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://METADATA.google.internal./',
    ]) {
      await expect(assertPublicUrl(url, { allowPrivate: true, resolve: noDns })).rejects.toThrow(/metadata/);
    }
    await expect(
      assertPublicUrl('http://api.localhost/', { allowPrivate: false, resolve: noDns }),
    ).rejects.toThrow(/loopback name/);
  });

  it('judges every resolved address, so one private answer among public ones is refused', async () => {
    const resolve = resolverFor({
      'rebind.example': ['93.184.216.34', '10.0.0.7'],
      'public.example': ['93.184.216.34', '2606:4700:4700::1111'],
      'sneaky.example': ['::ffff:127.0.0.1'],
    });
    await expect(
      assertPublicUrl('https://rebind.example/', { allowPrivate: false, resolve }),
    ).rejects.toThrow('rebind.example resolves to 10.0.0.7, which is a private address');
    await expect(
      assertPublicUrl('https://sneaky.example/', { allowPrivate: false, resolve }),
    ).rejects.toThrow(/IPv4-mapped/);
    const ok = await assertPublicUrl('https://public.example/x', { allowPrivate: false, resolve });
    expect(ok.hostname).toBe('public.example');
    expect(ok.addresses.map((a) => a.address)).toEqual(['93.184.216.34', '2606:4700:4700::1111']);
  });

  it('lets private addresses through with allowPrivate, but never cloud metadata', async () => {
    const resolve = resolverFor({ 'internal.example': ['10.0.0.7'], 'imds.example': ['169.254.169.254'] });
    await expect(
      assertPublicUrl('http://127.0.0.1:9/', { allowPrivate: true, resolve }),
    ).resolves.toMatchObject({
      addresses: [{ address: '127.0.0.1', family: 4 }],
    });
    await expect(
      assertPublicUrl('http://internal.example/', { allowPrivate: true, resolve }),
    ).resolves.toBeDefined();
    await expect(assertPublicUrl('http://imds.example/', { allowPrivate: true, resolve })).rejects.toThrow(
      /cloud metadata/,
    );
    await expect(assertPublicUrl('http://169.254.169.254/', { allowPrivate: true, resolve })).rejects.toThrow(
      /cloud metadata/,
    );
  });
});

describe('guardedFetch', () => {
  let target: LocalServer;
  let redirector: LocalServer;
  let hanging: LocalServer;

  beforeAll(async () => {
    target = await localServer((req, res, body) => {
      if (req.url === '/gzip') {
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' });
        res.end(gzipSync('unzipped text'));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-seen': 'yes' });
      res.end(
        JSON.stringify({ path: req.url, method: req.method, body, auth: req.headers.authorization ?? null }),
      );
    });
    redirector = await localServer((req, res) => {
      const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '/';
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 302);
      res.writeHead(status, { location: to });
      res.end();
    });
    hanging = await localServer(() => {
      // never answers
    });
  });
  afterAll(async () => {
    await Promise.all([target.close(), redirector.close(), hanging.close()]);
  });

  it('refuses a loopback destination before connecting to it', async () => {
    const before = target.seen.length;
    await expect(guardedFetch(`${target.origin}/`, {}, { allowPrivate: false })).rejects.toBeInstanceOf(
      DestinationRefused,
    );
    expect(target.seen.length).toBe(before);
  });

  it('reaches loopback with allowPrivate=true and returns a standard Response', async () => {
    const res = await guardedFetch(
      `${target.origin}/hello?x=1`,
      { method: 'post', headers: { 'content-type': 'text/plain' }, body: 'ping' },
      { allowPrivate: true },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-seen')).toBe('yes');
    expect(res.url).toBe(`${target.origin}/hello?x=1`);
    expect(await res.json()).toEqual({ path: '/hello?x=1', method: 'POST', body: 'ping', auth: null });
  });

  it('re-checks every redirect hop: a trusted first hop may not redirect to loopback', async () => {
    const before = target.seen.length;
    const to = encodeURIComponent(`${target.origin}/secret`);
    const error = await guardedFetch(
      `${redirector.origin}/?to=${to}`,
      {},
      { allowPrivate: false, allowOrigins: [redirector.origin] },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(DestinationRefused);
    expect(error.message).toContain(`${target.origin}/secret`);
    expect(error.message).toContain('loopback');
    expect(target.seen.length).toBe(before);
    // The same host under another name is a different origin and is checked too.
    const viaName = encodeURIComponent(`http://localhost:${redirector.port}/`);
    await expect(
      guardedFetch(
        `${redirector.origin}/?to=${viaName}`,
        {},
        { allowPrivate: false, allowOrigins: [redirector.origin] },
      ),
    ).rejects.toThrow(/localhost is a loopback name/);
  });

  it('follows redirects when allowed, switching POST to GET on 303 and keeping it on 307', async () => {
    const to = encodeURIComponent(`${target.origin}/final`);
    const seeOther = await guardedFetch(
      `${redirector.origin}/?status=303&to=${to}`,
      { method: 'POST', body: 'data', headers: { 'content-type': 'text/plain' } },
      { allowPrivate: true },
    );
    expect(seeOther.url).toBe(`${target.origin}/final`);
    expect(await seeOther.json()).toMatchObject({ method: 'GET', body: '' });
    const temporary = await guardedFetch(
      `${redirector.origin}/?status=307&to=${to}`,
      { method: 'POST', body: 'data' },
      { allowPrivate: true },
    );
    expect(await temporary.json()).toMatchObject({ method: 'POST', body: 'data' });
  });

  it('drops credentials on a cross-origin redirect but keeps them on the same origin', async () => {
    const cross = encodeURIComponent(`${target.origin}/x`);
    const res = await guardedFetch(
      `${redirector.origin}/?to=${cross}`,
      { headers: { Authorization: 'Bearer secret' } },
      { allowPrivate: true },
    );
    expect(await res.json()).toMatchObject({ auth: null });
    expect(redirector.seen.at(-1)?.headers.authorization).toBe('Bearer secret');
  });

  it('stops after maxRedirects, and with maxRedirects=0 returns the 3xx itself', async () => {
    const loop = `${redirector.origin}/?to=${encodeURIComponent(`${redirector.origin}/`)}`;
    await expect(guardedFetch(loop, {}, { allowPrivate: true, maxRedirects: 2 })).rejects.toThrow(
      /too many redirects/,
    );
    const manual = await guardedFetch(loop, {}, { allowPrivate: true, maxRedirects: 0 });
    expect(manual.status).toBe(302);
    expect(manual.headers.get('location')).toBe(`${redirector.origin}/`);
  });

  it('pins the connection to the checked address instead of resolving again', async () => {
    // `.invalid` never resolves in real DNS: the request can only arrive if the checked address was used.
    const calls: string[] = [];
    const resolve = resolverFor({ 'pinned.invalid': ['127.0.0.1'] }, calls);
    const res = await guardedFetch(
      `http://pinned.invalid:${target.port}/pinned`,
      {},
      { allowPrivate: true, resolve },
    );
    expect(await res.json()).toMatchObject({ path: '/pinned' });
    expect(target.seen.at(-1)?.headers.host).toBe(`pinned.invalid:${target.port}`);
    expect(calls).toEqual(['pinned.invalid']);
    // And the same name is refused when private addresses are not allowed.
    await expect(
      guardedFetch(`http://pinned.invalid:${target.port}/`, {}, { allowPrivate: false, resolve }),
    ).rejects.toThrow('pinned.invalid resolves to 127.0.0.1, which is a loopback address');
  });

  it('decodes gzip bodies', async () => {
    const res = await guardedFetch(`${target.origin}/gzip`, {}, { allowPrivate: true });
    expect(await res.text()).toBe('unzipped text');
  });

  it('times out and honours an abort signal', async () => {
    await expect(
      guardedFetch(`${hanging.origin}/`, {}, { allowPrivate: true, timeoutMs: 200 }),
    ).rejects.toThrow(/timed out after 200 ms/);
    const controller = new AbortController();
    const pending = guardedFetch(`${hanging.origin}/`, {}, { allowPrivate: true, signal: controller.signal });
    controller.abort(new Error('cancelled by test'));
    await expect(pending).rejects.toThrow();
  });
});
