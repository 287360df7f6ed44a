// Server-side request forgery guard shared by the http_request tool and webhook delivery: both send requests
// to URLs that users (or models) choose, from inside the deployment's network. A URL is accepted only when every
// address its host resolves to is public, and the connection is then pinned to those checked addresses so a
// second DNS answer (DNS rebinding) cannot swap in a private one. Redirects are followed by hand, one checked
// hop at a time. Encoded forms such as http://2130706433 or http://0x7f.1 need no special handling: the WHATWG
// URL parser canonicalises them to dotted quads before anything here looks at the host.
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (tests pass a stub; production uses the system resolver). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface DestinationOptions {
  /** Let private, loopback, link-local and other non-public addresses through (cloud metadata never is). */
  allowPrivate: boolean;
  /** Origins (`http://host:port`) the operator trusts whatever they resolve to; still resolved once and pinned. */
  allowOrigins?: readonly string[];
  resolve?: Resolver;
}

/** The destination is not allowed; retrying cannot help. */
export class DestinationRefused extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`refused to connect to ${url}: ${reason}`);
    this.name = 'DestinationRefused';
  }
}

export interface CheckedDestination {
  url: URL;
  /** Host name without IPv6 brackets or trailing dot, lower case. */
  hostname: string;
  /** The checked addresses; connections must go to one of these and nowhere else. */
  addresses: ResolvedAddress[];
}

export type AddressKind = 'metadata' | 'non-public';
export interface AddressClass {
  kind: AddressKind;
  reason: string;
}

// Cloud instance-metadata endpoints hand out credentials; they stay refused even with allowPrivate.
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  '168.63.129.16', // Azure WireServer
  'fd00:ec2:0:0:0:0:0:254', // AWS IMDS over IPv6 (expanded form, see expand6)
]);
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

type Range4 = [base: string, bits: number, reason: string];
const NON_PUBLIC_V4: Range4[] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignment'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const v4ToInt = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);

function classify4(ip: string): AddressClass | undefined {
  if (METADATA_ADDRESSES.has(ip)) return { kind: 'metadata', reason: 'cloud metadata' };
  const n = v4ToInt(ip);
  for (const [base, bits, reason] of NON_PUBLIC_V4) {
    const size = 2 ** (32 - bits);
    const start = v4ToInt(base);
    if (n >= start && n < start + size) return { kind: 'non-public', reason };
  }
  return undefined;
}

/** Eight 16-bit groups of an IPv6 address (zone id dropped, embedded dotted IPv4 converted). */
function groups6(ip: string): number[] {
  let s = ip.split('%')[0] ?? '';
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted?.[1]) {
    const n = v4ToInt(dotted[1]);
    s = `${s.slice(0, -dotted[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const parse = (part: string) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const fill = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...fill, ...right];
}

const expand6 = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
const embedded4 = (hi: number, lo: number): string => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');

type Range6 = [prefix: number[], bits: number, reason: string];
const NON_PUBLIC_V6: Range6[] = [
  [[0x64, 0xff9b, 1], 48, 'local-use NAT64'],
  [[0x100], 64, 'discard-only'],
  [[0x2001, 0], 32, 'Teredo tunnel'],
  [[0x2001, 2], 48, 'benchmarking'],
  [[0x2001, 0xdb8], 32, 'documentation'],
  [[0xfc00], 7, 'unique-local'],
  [[0xfe80], 10, 'link-local'],
  [[0xfec0], 10, 'site-local'],
  [[0xff00], 8, 'multicast'],
];

function inPrefix(g: number[], prefix: number[], bits: number): boolean {
  for (let i = 0; i * 16 < bits; i++) {
    const take = Math.min(16, bits - i * 16);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if (((g[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function classify6(ip: string): AddressClass | undefined {
  const g = groups6(ip);
  if (METADATA_ADDRESSES.has(expand6(g))) return { kind: 'metadata', reason: 'cloud metadata' };
  const [g0 = 0, g1 = 0, , , , g5 = 0, g6 = 0, g7 = 0] = g;
  const firstFive = g.slice(0, 5).every((x) => x === 0);
  if (firstFive && g5 === 0 && g6 === 0 && g7 === 0) return { kind: 'non-public', reason: 'unspecified' };
  if (firstFive && g5 === 0 && g6 === 0 && g7 === 1) return { kind: 'non-public', reason: 'loopback' };
  if (firstFive && g5 === 0xffff) {
    // ::ffff:a.b.c.d reaches the IPv4 host; refused whole (metadata still reported as such).
    const inner = classify4(embedded4(g6, g7));
    return inner?.kind === 'metadata' ? inner : { kind: 'non-public', reason: 'IPv4-mapped IPv6' };
  }
  if (firstFive && g5 === 0) return { kind: 'non-public', reason: 'IPv4-compatible IPv6 (deprecated)' };
  // Translation prefixes carry an IPv4 address that is what really gets reached: judge that one.
  if (inPrefix(g, [0x64, 0xff9b], 96)) return classify4(embedded4(g6, g7));
  if (g0 === 0x2002) return classify4(embedded4(g1, g[2] ?? 0));
  for (const [prefix, bits, reason] of NON_PUBLIC_V6) {
    if (inPrefix(g, prefix, bits)) return { kind: 'non-public', reason };
  }
  if (!inPrefix(g, [0x2000], 3)) return { kind: 'non-public', reason: 'reserved (not global unicast)' };
  return undefined;
}

/** Why an IP address is not public (undefined when it is). Expects a literal address. */
export function classifyAddress(ip: string): AddressClass | undefined {
  const family = net.isIP(ip.split('%')[0] ?? '');
  if (family === 4) return classify4(ip);
  if (family === 6) return classify6(ip);
  return { kind: 'non-public', reason: 'not an IP address' };
}

export const systemResolver: Resolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/**
 * Checks that a URL is http(s) and that every address its host resolves to is public (or allowed), and
 * returns those addresses for pinning. Throws DestinationRefused; DNS failures are rethrown as they are.
 */
export async function assertPublicUrl(
  input: string | URL,
  options: DestinationOptions,
): Promise<CheckedDestination> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new DestinationRefused(String(input), 'not a valid URL');
  }
  const shown = url.href;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DestinationRefused(
      shown,
      `only http and https are allowed, not ${url.protocol.replace(/:$/, '')}`,
    );
  }
  const hostname = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (METADATA_HOSTS.has(hostname))
    throw new DestinationRefused(shown, `${hostname} is a cloud metadata endpoint`);
  const trusted = options.allowOrigins?.includes(url.origin) === true;
  const lenient = options.allowPrivate || trusted;
  if (!lenient && (hostname === 'localhost' || hostname.endsWith('.localhost'))) {
    throw new DestinationRefused(shown, `${hostname} is a loopback name`);
  }

  const family = net.isIP(hostname);
  const addresses: ResolvedAddress[] =
    family === 0
      ? await (options.resolve ?? systemResolver)(hostname)
      : [{ address: hostname, family: family === 6 ? 6 : 4 }];
  if (addresses.length === 0) throw new Error(`${hostname} did not resolve to any address`);
  for (const { address } of addresses) {
    const found = classifyAddress(address);
    if (!found || (found.kind === 'non-public' && lenient)) continue;
    const what = address === hostname ? address : `${hostname} resolves to ${address}, which`;
    throw new DestinationRefused(
      shown,
      `${what} is a ${found.reason} address; only public destinations are allowed`,
    );
  }
  return { url, hostname, addresses };
}

export interface GuardedFetchInit {
  method?: string;
  headers?: Record<string, string> | [string, string][];
  body?: string | Uint8Array;
}

export interface GuardedFetchOptions extends DestinationOptions {
  /** Redirects followed (each hop re-checked); 0 returns a 3xx response as it is. Default 5. */
  maxRedirects?: number;
  /** Covers the whole exchange, body included. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 204, 205, 304]);
// Credentials meant for one origin must not follow a redirect to another (as the fetch standard does).
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * fetch() for untrusted URLs: every hop is checked with assertPublicUrl, its connection goes only to the
 * checked addresses, and redirects are followed by hand. Resolves to a standard Response whose `url` is
 * the final one.
 */
export async function guardedFetch(
  input: string | URL,
  init: GuardedFetchInit,
  options: GuardedFetchOptions,
): Promise<Response> {
  const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
  const maxRedirects = options.maxRedirects ?? 5;
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  const headers = new Map<string, [string, string]>();
  for (const [name, value] of Array.isArray(init.headers)
    ? init.headers
    : Object.entries(init.headers ?? {})) {
    headers.set(name.toLowerCase(), [name, value]);
  }

  let current = String(input);
  for (let hop = 0; ; hop++) {
    const checked = await assertPublicUrl(current, options);
    let res: http.IncomingMessage;
    try {
      res = await send(checked, method, [...headers.values()], body, signal);
    } catch (error) {
      if (timeout?.aborted)
        throw new Error(`request to ${checked.url.origin} timed out after ${options.timeoutMs} ms`);
      throw error;
    }
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (!REDIRECTS.has(status) || !location || maxRedirects === 0)
      return toResponse(res, checked.url, method);
    res.destroy();
    if (hop >= maxRedirects)
      throw new Error(`too many redirects (more than ${maxRedirects}) starting at ${input}`);
    const next = new URL(location, checked.url);
    if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
      if (method !== 'HEAD') method = 'GET';
      body = undefined;
      headers.delete('content-type');
      headers.delete('content-length');
    }
    if (next.origin !== checked.url.origin) for (const h of ORIGIN_BOUND_HEADERS) headers.delete(h);
    current = next.href;
  }
}

function send(
  checked: CheckedDestination,
  method: string,
  headers: [string, string][],
  body: string | Uint8Array | undefined,
  signal: AbortSignal | undefined,
): Promise<http.IncomingMessage> {
  const { url, addresses } = checked;
  // Every connection resolves to the addresses that were checked; net calls this instead of DNS.
  const pinned: net.LookupFunction = (_host, opts, callback) => {
    if (opts.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
  const outgoing: http.OutgoingHttpHeaders = {};
  for (const [name, value] of headers) outgoing[name] = value;
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request({
      protocol: url.protocol,
      hostname: checked.hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method,
      headers: outgoing,
      auth: url.username
        ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
        : undefined,
      lookup: pinned,
      // No pooling: a pooled socket was pinned for an earlier caller, possibly with other rules.
      agent: false,
      signal,
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end(body);
  });
}

function decoded(res: http.IncomingMessage): Readable {
  switch (String(res.headers['content-encoding'] ?? '').toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return res.pipe(zlib.createGunzip());
    case 'deflate':
      return res.pipe(zlib.createInflate());
    case 'br':
      return res.pipe(zlib.createBrotliDecompress());
    default:
      return res;
  }
}

function toResponse(res: http.IncomingMessage, url: URL, method: string): Response {
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 599) {
    res.destroy();
    throw new Error(`${url.origin} answered with unsupported status ${status}`);
  }
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    try {
      headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    } catch {
      // A header value fetch would reject; leave it out rather than fail the whole response.
    }
  }
  let body: ReadableStream<Uint8Array> | null = null;
  if (method === 'HEAD' || NULL_BODY.has(status)) res.destroy();
  else {
    const stream = decoded(res);
    // Errors of the raw response (abort, timeout) must reach the decoded stream's reader.
    if (stream !== res) res.once('error', (e) => stream.destroy(e));
    body = Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
  }
  const response = new Response(body, { status, statusText: res.statusMessage ?? '', headers });
  Object.defineProperty(response, 'url', { value: url.href });
  return response;
}
