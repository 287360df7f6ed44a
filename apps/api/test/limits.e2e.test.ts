// Per-tenant limits through the real API and workers: the submit rate limit (shared by every API instance),
// the daily cost cap, and the cap on a tenant's jobs running at once. Each tenant's own limits (tenant
// table) win over the deployment defaults.
import type { AddressInfo } from 'node:net';
import { TenantsRepo } from '@agentq/db';
import { createRedis } from '@agentq/queue';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, json, startPlatform, type TestPlatform } from '../../../test-support/platform.ts';
import { createApi, type RunningApi } from '../src/server.ts';

const KEYS = {
  dflt: 'dflt-key-00000001',
  limited: 'limited-key-00002',
  spender: 'spender-key-00003',
  rich: 'rich-key-000000004',
  yesterday: 'yesterday-key-005',
  capped: 'capped-key-0000006',
  pair: 'pair-key-00000007',
  other: 'other-key-0000008',
};
let p: TestPlatform;
let tenants: TenantsRepo;
let redis: Redis;

beforeAll(async () => {
  p = await startPlatform({
    label: 'limits',
    env: {
      API_KEYS: Object.entries(KEYS)
        .map(([tenant, key]) => `${tenant}:${key}`)
        .join(','),
      RATE_LIMIT_SUBMITS_PER_MINUTE: '4',
      TENANT_DAILY_COST_CAP_USD: '1',
      TENANT_MAX_RUNNING_JOBS: '2',
    },
  });
  tenants = new TenantsRepo(p.db.prisma);
  redis = createRedis(p.config.REDIS_URL);
  // Own limits, set before each tenant's first request (the API caches limits for a few seconds).
  await tenants.set('limited', { submitsPerMinute: 2 });
  await tenants.set('rich', { dailyCostCapUsd: 50 });
  await tenants.set('capped', { maxConcurrentJobs: 1, submitsPerMinute: 100 });
  await tenants.set('other', { submitsPerMinute: 100 });
});
afterAll(async () => {
  await redis?.quit();
  await p?.stop();
});

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
const submitTo = (
  url: string,
  tenant: keyof typeof KEYS,
  body: object = { task: 't', script: [{ text: 'x' }] },
) =>
  fetch(`${url}/submit`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEYS[tenant]}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const submit = (tenant: keyof typeof KEYS, body?: object) => submitTo(p.url, tenant, body);

/** A job of `tenant` that cost `usd`, created `daysAgo` days ago. */
async function spent(tenant: string, usd: number, daysAgo = 0) {
  await p.db.prisma.$executeRaw`
    INSERT INTO job (id, tenant_id, task, model, status, cost_usd, created_at)
    VALUES (gen_random_uuid(), ${tenant}, 'old', 'scripted', 'succeeded', ${usd},
            now() - make_interval(days => ${daysAgo}))`;
}

describe('submit rate limit', () => {
  let second: RunningApi;
  let secondUrl: string;

  beforeAll(async () => {
    // A second API instance on the same Postgres and Redis: the limit is the tenant's, not the instance's.
    second = await createApi({
      config: p.config,
      log: pino({ level: 'silent' }),
      runtime: {
        defaultModel: () => 'scripted',
        modelProblem: () => undefined,
        unknownTools: () => [],
      },
    });
    await new Promise<void>((r) => second.server.listen(0, '127.0.0.1', r));
    secondUrl = `http://127.0.0.1:${(second.server.address() as AddressInfo).port}`;
  });
  afterAll(() => second?.close());

  it('refuses the submit over the default limit with 429, Retry-After and the error shape', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await submitTo(i % 2 ? secondUrl : p.url, 'dflt'));
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202, 429]);
    const refused = answers[4]!;
    expect(refused.headers.get('x-ratelimit-limit')).toBe('4');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    // One submit comes back every 60/4 = 15 s.
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(15);
    const { error } = await json<ErrorBody>(refused);
    expect(error.code).toBe('rate_limited');
    expect(error.message).toMatch(/4 jobs per minute/);
    // /run shares the budget.
    const run = await fetch(`${secondUrl}/run?wait=0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.dflt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ task: 't', script: [{ text: 'x' }] }),
    });
    expect(run.status).toBe(429);
  });

  it("a tenant's own submits_per_minute wins over the default; other tenants are not affected", async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await submit('limited')).status);
    expect(statuses).toEqual([202, 202, 429]);
    expect((await submit('rich')).status).toBe(202);
  });

  it('counts in Redis, under the deployment prefix', async () => {
    const key = `${p.config.QUEUE_PREFIX}:ratelimit:submit:limited`;
    expect(await redis.exists(key)).toBe(1);
    expect(Number(await redis.hget(key, 'tokens'))).toBeLessThan(1);
  });
});

describe('daily cost cap', () => {
  it('refuses new submits once the jobs created today (UTC) cost the default cap', async () => {
    await spent('spender', 0.6);
    await spent('spender', 0.4);
    const res = await submit('spender');
    expect(res.status).toBe(429);
    const { error } = await json<ErrorBody>(res);
    expect(error.code).toBe('daily_cost_cap_reached');
    expect(error.details).toMatchObject({ cap_usd: 1, spent_usd: 1 });
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
  });

  it("a tenant's own cap wins; spend from earlier days does not count", async () => {
    await spent('rich', 10);
    expect((await submit('rich')).status).toBe(202);
    await spent('yesterday', 100, 1);
    expect((await submit('yesterday')).status).toBe(202);
  });
});

describe('running jobs per tenant', () => {
  type Status = { job_id: string; status: string; started_at: string | null; finished_at: string | null };
  const statusOf = async (tenant: keyof typeof KEYS, id: string) =>
    json<Status>(
      await fetch(`${p.url}/status/${id}`, { headers: { authorization: `Bearer ${KEYS[tenant]}` } }),
    );
  const submitSlow = async (tenant: keyof typeof KEYS, ms: number) => {
    const res = await submit(tenant, { task: 't', script: [{ text: 'done', delay_ms: ms }] });
    expect(res.status).toBe(202);
    return (await json<{ job_id: string }>(res)).job_id;
  };
  const finished = (tenant: keyof typeof KEYS, ids: string[]) =>
    eventually(
      async () => {
        const all = await Promise.all(ids.map((id) => statusOf(tenant, id)));
        return all.every((s) => ['succeeded', 'failed', 'cancelled'].includes(s.status)) ? all : undefined;
      },
      20_000,
      100,
    );
  /** The most runs of the list that overlapped in time. */
  const maxOverlap = (runs: Status[]) => {
    const edges = runs.flatMap((r) => [
      [Date.parse(r.started_at!), 1],
      [Date.parse(r.finished_at!), -1],
    ]);
    edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    let now = 0;
    let max = 0;
    for (const [, d] of edges) {
      now += d!;
      max = Math.max(max, now);
    }
    return max;
  };

  it("never runs more of a tenant's jobs at once than its cap; the others wait (never fail) and other tenants go ahead", async () => {
    const capped = [];
    for (let i = 0; i < 3; i++) capped.push(await submitSlow('capped', 400));
    const other = await submitSlow('other', 50);
    const runs = await finished('capped', capped);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(maxOverlap(runs)).toBe(1);
    // The other tenant's job did not wait for the capped tenant's queue to drain.
    const [o] = await finished('other', [other]);
    const lastCappedEnd = Math.max(...runs.map((r) => Date.parse(r.finished_at!)));
    expect(o!.status).toBe('succeeded');
    expect(Date.parse(o!.finished_at!)).toBeLessThan(lastCappedEnd);
  });

  it('applies TENANT_MAX_RUNNING_JOBS to tenants without their own cap, and gives the slots back', async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await submitSlow('pair', 300));
    const runs = await finished('pair', ids);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(maxOverlap(runs)).toBe(2);
    const slots = `${p.config.QUEUE_PREFIX}:tenant-running:pair`;
    await eventually(async () => ((await redis.zcard(slots)) === 0 ? true : undefined), 2_000);
  });
});
