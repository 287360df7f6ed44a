// Hardening: hundreds of generated requests to every POST endpoint of the API (found in the live router,
// so a new endpoint is fuzzed without being listed here): wrong types, huge strings, deep nesting,
// truncated and invalid JSON, wrong content types and encodings, unicode, NULs and unpaired surrogates,
// nulls, arrays, prototype-pollution keys, odd path parameters. Never a 5xx; every error has the error shape;
// nothing is polluted; the API still works afterwards. Seeded, so a failure replays the same way.
import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  json,
  post,
  recordingTool,
  startPlatform,
  type TestPlatform,
  testRuntime,
} from '../../../test-support/platform.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const send = recordingTool('send_email', { policy: 'never' });
let p: TestPlatform;

beforeAll(async () => {
  p = await startPlatform({
    label: 'fuzz',
    runtime: testRuntime([send.tool]),
    env: {
      RATE_LIMIT_SUBMITS_PER_MINUTE: '1000000',
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
    },
  });
});
afterAll(() => p?.stop());

/** mulberry32: a small seeded PRNG. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

const STRINGS = [
  '',
  ' ',
  'x',
  'task',
  '__proto__',
  'constructor',
  'prototype',
  '😀🚀 ünïcödé ﷽ עברית',
  '\u202e\u200b\ufeff',
  'nul\u0000byte',
  'lone \ud800 surrogate',
  'lone \udc00 low',
  '\u0000',
  "'; DROP TABLE job; --",
  '{"task": "nested json"}',
  'https://example.com/hook',
  'http://127.0.0.1:1/hook',
  'ftp://x',
  'not a url',
  'javascript:alert(1)',
  'scripted',
  'approve',
  'reject',
  '* * * * *',
  '61 * * * *',
  '%00',
  '../../etc/passwd',
];
const NUMBERS = [0, -0, 1, -1, 1.5, 2 ** 31, 2 ** 53 + 1, 1e308, -1e308, 5e-324, 200, 201, 10_000];
const KEYS = [
  'task',
  'model',
  'script',
  'tools',
  'approval',
  'max_steps',
  'max_tokens',
  'max_cost_usd',
  'max_tool_calls',
  'system',
  'user_id',
  'session_id',
  'webhook_url',
  'metadata',
  'decision',
  'reason',
  'input',
  'name',
  'cron',
  'every_seconds',
  'template',
  'text',
  'tool_calls',
  'delay_ms',
  'usage',
  '__proto__',
  'constructor',
  'prototype',
  '',
  '😀',
];

function value(r: Rng, depth = 0): unknown {
  const kind = r.int(depth > 3 ? 4 : 7);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick(NUMBERS);
    case 3:
      return r.next() < 0.05 ? 'y'.repeat(150_000 + r.int(100_000)) : r.pick(STRINGS);
    case 4:
      return Array.from({ length: r.int(4) }, () => value(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(KEYS), value(r, depth + 1)]));
  }
}

const VALID = {
  submit: { task: 'fuzz', script: [{ text: 'ok' }] },
  approval: { decision: 'approve' },
  schedule: { cron: '0 0 1 1 *', template: { task: 'fuzz', script: [{ text: 'ok' }] } },
};

/** A valid body with one field replaced, removed or added. */
function mutated(r: Rng): unknown {
  const base = structuredClone(r.pick([VALID.submit, VALID.approval, VALID.schedule])) as Record<
    string,
    unknown
  >;
  const target = 'template' in base && r.next() < 0.5 ? (base.template as Record<string, unknown>) : base;
  const op = r.int(3);
  const key = op === 2 ? r.pick(KEYS) : r.pick(Object.keys(target));
  if (op === 1) delete target[key];
  else target[key] = value(r);
  return base;
}

const deep = (n: number, open: string, close: string, inner = '1') =>
  open.repeat(n) + inner + close.repeat(n);

interface Request {
  body: string | Buffer | undefined;
  headers: Record<string, string>;
  label: string;
}

function request(r: Rng): Request {
  const asJson = (v: unknown, label: string): Request => ({
    body: JSON.stringify(v),
    headers: { 'content-type': 'application/json' },
    label,
  });
  const raw = (body: string | Buffer, label: string, contentType = 'application/json'): Request => ({
    body,
    headers: { 'content-type': contentType },
    label,
  });
  switch (r.int(12)) {
    case 0:
    case 1:
    case 2:
      return asJson(mutated(r), 'mutated valid body');
    case 3:
    case 4:
      return asJson(value(r), 'random value');
    case 5: {
      const text = JSON.stringify(mutated(r));
      return raw(text.slice(0, r.int(text.length)), 'truncated JSON');
    }
    case 6:
      return r.pick([
        raw(deep(100_000, '[', ']'), 'deep array'),
        raw(deep(5_000, '{"a":', '}'), 'deep object'),
        raw(`{"task":"t","metadata":${deep(2_000, '{"a":', '}')}}`, 'deep metadata'),
        raw(
          `{"task":"t","script":[{"tool_calls":[{"name":"send_email","input":${deep(3_000, '[', ']')}}]}]}`,
          'deep tool input',
        ),
        raw(`{"decision":"approve","input":${deep(3_000, '{"x":', '}')}}`, 'deep approval input'),
        raw(`{"every_seconds":1,"template":{"task":"t","metadata":${deep(500, '[', ']')}}}`, 'deep template'),
      ]);
    case 7:
      return r.pick([
        raw('{"task": "\\u0000", "script": [{"text": "x"}]}', 'NUL escape in task'),
        raw('{"task": "\\ud800", "script": [{"text": "x"}]}', 'lone surrogate in task'),
        raw('{"task": "t", "metadata": {"\\u0000": 1}, "script": [{"text": "x"}]}', 'NUL in a key'),
        raw('{"task": "t", "script": [{"text": "\\udfff"}]}', 'lone surrogate in script'),
        raw('{"decision": "approve", "input": {"to": "\\u0000"}}', 'NUL in approval input'),
        raw('{"decision": "reject", "reason": "\\ud83d"}', 'lone surrogate in reason'),
        raw('{"cron": "\\u0000", "template": {"task": "t"}}', 'NUL in cron'),
        raw(Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid UTF-8'),
        raw(`\ufeff${JSON.stringify(VALID.submit)}`, 'byte order mark'),
      ]);
    case 8:
      return r.pick([
        raw('{"__proto__": {"polluted": "yes"}, "task": "t", "script": [{"text": "x"}]}', '__proto__'),
        raw('{"constructor": {"prototype": {"polluted": "yes"}}, "task": "t"}', 'constructor.prototype'),
        raw(
          '{"task": "t", "metadata": {"__proto__": {"polluted": "yes"}}, "script": [{"text": "x"}]}',
          'nested __proto__',
        ),
        raw('{"decision": "approve", "input": {"__proto__": {"polluted": "yes"}}}', '__proto__ in input'),
        raw(
          '{"every_seconds": 5, "template": {"__proto__": {"polluted": "yes"}, "task": "t"}}',
          '__proto__ in template',
        ),
      ]);
    case 9:
      return r.pick([
        raw('', 'empty body'),
        raw('null', 'null'),
        raw('"just a string"', 'string'),
        raw('12', 'number'),
        raw('[]', 'empty array'),
        raw('{', 'open brace'),
        raw('{"task": "t",}', 'trailing comma'),
        raw("{'task': 't'}", 'single quotes'),
        raw('{"task": NaN}', 'NaN'),
        raw('{"task": "t"} {"task": "u"}', 'two documents'),
        raw('{"max_steps": 1e400, "task": "t"}', 'number overflow'),
        raw(`{"task":"${'z'.repeat(900_000)}"}`, 'huge task within the body limit'),
        raw(`{"task":"${'z'.repeat(1_100_000)}"}`, 'body over the limit'),
        raw(`{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":1`).join(',')}}`, 'many keys'),
      ]);
    case 10: {
      const contentType = r.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=xyz',
        'application/xml',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/json; charset=nonsense',
        'application/vnd.api+json',
        'application/merge-patch+json',
        'APPLICATION/JSON',
        '*/*',
        ';;;',
      ]);
      return raw(JSON.stringify(mutated(r)), `content-type ${contentType}`, contentType);
    }
    default: {
      const encoding = r.pick(['gzip', 'deflate', 'br', 'identity', 'x-unknown', 'gzip, gzip']);
      return {
        body: r.next() < 0.5 ? Buffer.from('definitely not compressed') : JSON.stringify(VALID.submit),
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        label: `content-encoding ${encoding}`,
      };
    }
  }
}

/** Every POST route of the live app (routers mounted under a path, like Bull Board, are not walked). */
function postRoutes(): string[] {
  type Layer = {
    route?: { path: string | string[]; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
    slash?: boolean;
  };
  const app = p.api.server.listeners('request')[0] as RequestListener & { router: { stack: Layer[] } };
  const paths: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route?.methods.post) paths.push(...[layer.route.path].flat());
      else if (layer.handle?.stack && layer.slash) walk(layer.handle.stack);
    }
  };
  walk(app.router.stack);
  return [...new Set(paths)];
}

describe('fuzzing every POST endpoint', () => {
  const ids: Record<string, string[]> = { job: [], delivery: [] };
  const results: { route: string; url: string; label: string; status: number; body: string }[] = [];

  beforeAll(async () => {
    // Real ids to aim at: jobs waiting for approval (with webhook deliveries) and a finished one.
    for (let i = 0; i < 3; i++) {
      const res = await post(`${p.url}/submit`, {
        task: 'waits',
        script: [{ tool_calls: [{ name: 'send_email', input: {} }] }, { text: 'sent' }],
        approval: ['send_email'],
        webhook_url: 'http://127.0.0.1:9/hook',
      });
      ids.job!.push((await json<{ job_id: string }>(res)).job_id);
    }
    for (const id of ids.job!) {
      const deliveries = await eventually(async () => {
        const list = await json<{ id: string }[]>(await fetch(`${p.url}/jobs/${id}/deliveries`));
        return list.length > 0 ? list : undefined;
      });
      ids.delivery!.push(deliveries[0]!.id);
    }
  });

  it('finds the POST endpoints', () => {
    expect(postRoutes()).toEqual(
      expect.arrayContaining([
        '/submit',
        '/run',
        '/jobs/:id/cancel',
        '/jobs/:id/approvals/:call_id',
        '/deliveries/:id/redeliver',
        '/schedules',
      ]),
    );
  });

  it('never answers 5xx, and every error has the error shape', async () => {
    const r = rng(SEED);
    const param = (name: string, route: string) =>
      r.next() < 0.6
        ? name === 'call_id'
          ? r.pick(['call_0_0', 'call_0_1', 'call_9_9'])
          : r.pick(route.startsWith('/deliveries') ? ids.delivery! : ids.job!)
        : r.pick([
            randomUUID(),
            'not-a-uuid',
            '%00',
            '%E0%A4%A',
            '%F0%9F%98%80',
            '%ED%A0%80',
            'a'.repeat(3_000),
            '..%2F..%2Fadmin',
            '__proto__',
            'constructor',
            `${randomUUID().toUpperCase()}`,
          ]);
    const routes = postRoutes();
    const work: { route: string; url: string; req: Request }[] = [];
    for (const route of routes) {
      for (let i = 0; i < 120; i++) {
        let path = route.replace(/:(\w+)/g, (_, name: string) => param(name, route));
        if (path === '/run') path += `?wait=${r.pick(['0', '0.01', '-1', 'abc', '1e9', ''])}`;
        work.push({ route, url: `${p.url}${path}`, req: request(r) });
      }
    }
    let next = 0;
    const runOne = async () => {
      for (let i = next++; i < work.length; i = next++) {
        const { route, url, req } = work[i]!;
        const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body });
        results.push({ route, url, label: req.label, status: res.status, body: await res.text() });
      }
    };
    await Promise.all(Array.from({ length: 8 }, runOne));

    expect(results.length).toBeGreaterThanOrEqual(routes.length * 120);
    const serverErrors = results.filter((x) => x.status >= 500);
    expect(
      serverErrors.map((x) => `${x.status} ${x.route} [${x.label}] ${x.body.slice(0, 200)}`),
      `seed ${SEED}`,
    ).toEqual([]);
    const badShape = results.filter((x) => {
      if (x.status < 400) return false;
      try {
        const { error } = JSON.parse(x.body) as { error?: { code?: unknown; message?: unknown } };
        return typeof error?.code !== 'string' || typeof error.message !== 'string';
      } catch {
        return true;
      }
    });
    expect(
      badShape.map((x) => `${x.status} ${x.route} [${x.label}] ${x.body.slice(0, 200)}`),
      `seed ${SEED}`,
    ).toEqual([]);
    // The fuzz reached the routes' own checks, not only the JSON parser.
    const codes = new Set(results.map((x) => x.status));
    for (const expected of [400, 404, 413, 415]) expect(codes, `status ${expected}`).toContain(expected);
  }, 60_000);

  it('polluted nothing, and the API still works', async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect((await fetch(`${p.url}/health`)).status).toBe(200);
    const res = await post(`${p.url}/run?wait=10`, VALID.submit);
    expect(await json(res)).toMatchObject({ status: 'succeeded', result: 'ok' });
  });
});
