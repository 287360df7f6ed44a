// Tenant isolation on every endpoint: with two tenants' keys, another tenant's job, delivery or schedule is
// "not found" — exactly like one that never existed — and nothing it asks for happens. Admin routes need
// the admin credentials, not a tenant key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  json,
  recordingTool,
  startPlatform,
  type TestPlatform,
  testRuntime,
} from '../../../test-support/platform.ts';

const ALPHA = 'alpha-key-0000000001';
const BETA = 'beta-key-00000000002';
const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const send = recordingTool('send_email', { policy: 'never' });
let p: TestPlatform;

beforeAll(async () => {
  p = await startPlatform({
    label: 'tenancy',
    runtime: testRuntime([send.tool]),
    env: {
      API_KEYS: `alpha:${ALPHA},beta:${BETA}`,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: 'correct horse',
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
    },
  });
});
afterAll(() => p?.stop());

const as = (key: string, path: string, init: RequestInit = {}) =>
  fetch(`${p.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
  });
const postAs = (key: string, path: string, body: unknown = {}) =>
  as(key, path, { method: 'POST', body: JSON.stringify(body) });
type ErrorBody = { error: { code: string; message: string } };
const status = async (key: string, id: string) =>
  json<{ status: string; job_id: string }>(await as(key, `/status/${id}`));

describe('tenant isolation', () => {
  let jobId: string;
  let deliveryId: string;
  let scheduleId: string;

  beforeAll(async () => {
    // Alpha's job waits for approval, with a webhook delivery (to a closed port) and a schedule.
    const res = await postAs(ALPHA, '/submit', {
      task: 'alpha secret',
      script: [{ tool_calls: [{ name: 'send_email', input: {} }] }, { text: 'sent' }],
      approval: ['send_email'],
      webhook_url: 'http://127.0.0.1:9/hook',
    });
    expect(res.status).toBe(202);
    jobId = (await json<{ job_id: string }>(res)).job_id;
    await eventually(async () =>
      (await status(ALPHA, jobId)).status === 'waiting_approval' ? true : undefined,
    );
    const deliveries = await eventually(async () => {
      const list = await json<{ id: string }[]>(await as(ALPHA, `/jobs/${jobId}/deliveries`));
      return list.length > 0 ? list : undefined;
    });
    deliveryId = deliveries[0]!.id;
    const schedule = await postAs(ALPHA, '/schedules', {
      cron: '0 0 1 1 *',
      template: { task: 't', script: [{ text: 'x' }] },
    });
    expect(schedule.status).toBe(201);
    scheduleId = (await json<{ id: string }>(schedule)).id;
  });

  it("answers 404 not_found for another tenant's ids on every endpoint", async () => {
    const probes: [string, () => Promise<Response>][] = [
      ['status', () => as(BETA, `/status/${jobId}`)],
      ['status long-poll', () => as(BETA, `/status/${jobId}?wait=1`)],
      ['steps', () => as(BETA, `/jobs/${jobId}/steps`)],
      ['events', () => as(BETA, `/jobs/${jobId}/events`)],
      ['deliveries', () => as(BETA, `/jobs/${jobId}/deliveries`)],
      ['cancel', () => postAs(BETA, `/jobs/${jobId}/cancel`)],
      ['approve', () => postAs(BETA, `/jobs/${jobId}/approvals/call_0_0`, { decision: 'approve' })],
      ['reject', () => postAs(BETA, `/jobs/${jobId}/approvals/call_0_0`, { decision: 'reject' })],
      ['redeliver', () => postAs(BETA, `/deliveries/${deliveryId}/redeliver`)],
      ['schedule', () => as(BETA, `/schedules/${scheduleId}`)],
      ['delete schedule', () => as(BETA, `/schedules/${scheduleId}`, { method: 'DELETE' })],
    ];
    for (const [name, probe] of probes) {
      const res = await probe();
      expect(res.status, name).toBe(404);
      expect((await json<ErrorBody>(res)).error.code, name).toBe('not_found');
    }
  });

  it("another tenant's attempts changed nothing; the owner still sees and controls everything", async () => {
    expect(await status(ALPHA, jobId)).toMatchObject({ status: 'waiting_approval' });
    expect(send.calls.filter((c) => c.key.startsWith(`aq_${jobId}`))).toHaveLength(0);
    expect((await as(ALPHA, `/jobs/${jobId}/steps`)).status).toBe(200);
    expect((await as(ALPHA, `/schedules/${scheduleId}`)).status).toBe(200);
    expect((await postAs(ALPHA, `/deliveries/${deliveryId}/redeliver`)).status).toBe(202);
    const rows = await p.db.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM schedule WHERE id = ${scheduleId}`;
    expect(rows[0]?.n).toBe(1);
    const approved = await postAs(ALPHA, `/jobs/${jobId}/approvals/call_0_0`, { decision: 'approve' });
    expect(approved.status).toBe(200);
    await eventually(async () => ((await status(ALPHA, jobId)).status === 'succeeded' ? true : undefined));
  });

  it("lists show only the caller's own jobs and schedules", async () => {
    const betaSchedules = await json<{ id: string }[]>(await as(BETA, '/schedules'));
    expect(betaSchedules).toEqual([]);
    const alphaSchedules = await json<{ id: string }[]>(await as(ALPHA, '/schedules'));
    expect(alphaSchedules.map((s) => s.id)).toEqual([scheduleId]);
    const betaJobs = await json<{ jobs: { job_id: string }[] }>(await as(BETA, '/jobs'));
    expect(betaJobs.jobs.map((j) => j.job_id)).not.toContain(jobId);
    const alphaJobs = await json<{ jobs: { job_id: string }[] }>(await as(ALPHA, '/jobs'));
    expect(alphaJobs.jobs.map((j) => j.job_id)).toContain(jobId);
  });

  it('an Idempotency-Key is per tenant: the same key gives each tenant its own job', async () => {
    const body = { task: 'same', script: [{ text: 'x' }] };
    const headers = { 'Idempotency-Key': 'shared-key' };
    const a = await json<{ job_id: string }>(
      await as(ALPHA, '/submit', { method: 'POST', body: JSON.stringify(body), headers }),
    );
    const b = await json<{ job_id: string }>(
      await as(BETA, '/submit', { method: 'POST', body: JSON.stringify(body), headers }),
    );
    expect(a.job_id).not.toBe(b.job_id);
    expect((await as(BETA, `/status/${a.job_id}`)).status).toBe(404);
  });
});

describe('authentication', () => {
  it('refuses a missing, unknown or malformed key with 401 and the error shape', async () => {
    const cases: [string, Record<string, string>][] = [
      ['no key', {}],
      ['unknown key', { authorization: 'Bearer nope-nope-nope' }],
      ['empty bearer', { authorization: 'Bearer ' }],
      [
        'basic instead of bearer',
        { authorization: `Basic ${Buffer.from(`alpha:${ALPHA}`).toString('base64')}` },
      ],
    ];
    for (const [name, headers] of cases) {
      const res = await fetch(`${p.url}/schedules`, { headers });
      expect(res.status, name).toBe(401);
      expect((await json<ErrorBody>(res)).error.code, name).toBe('unauthorized');
    }
    expect((await fetch(`${p.url}/schedules`, { headers: { 'x-api-key': BETA } })).status).toBe(200);
  });

  it('health needs no key', async () => {
    expect((await fetch(`${p.url}/health`)).status).toBe(200);
  });
});

describe('admin routes', () => {
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('Bull Board answers 401 without the admin credentials, even to a valid tenant key', async () => {
    for (const [name, headers] of [
      ['none', {}],
      ['tenant key', { authorization: `Bearer ${ALPHA}` }],
      ['wrong password', { authorization: basic('admin', 'wrong') }],
      ['wrong user', { authorization: basic('root', 'correct horse') }],
    ] as [string, Record<string, string>][]) {
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        const res = await fetch(`${p.url}${path}`, { headers });
        expect(res.status, `${name} ${path}`).toBe(401);
        expect(res.headers.get('www-authenticate'), name).toMatch(/^Basic/);
      }
    }
  });

  it('Bull Board opens with the admin credentials', async () => {
    const res = await fetch(`${p.url}/admin/queues/api/queues`, {
      headers: { authorization: basic('admin', 'correct horse') },
    });
    expect(res.status).toBe(200);
    const body = await json<{ queues: { name: string }[] }>(res);
    expect(body.queues.map((q) => q.name)).toEqual(expect.arrayContaining(['agent-runs', 'schedules']));
  });

  it('with API keys but no admin credentials configured, /admin stays closed (403), even to a tenant key', async () => {
    const keyed = await startPlatform({
      label: 'admin_unset',
      env: { API_KEYS: 'solo:key-solo-12345' },
      workers: 0,
    });
    try {
      for (const headers of [{}, { authorization: 'Bearer key-solo-12345' }]) {
        const res = await fetch(`${keyed.url}/admin/queues/api/queues`, { headers });
        expect(res.status).toBe(403);
        expect((await json<{ error: { code: string } }>(res)).error.code).toBe('admin_not_configured');
      }
    } finally {
      await keyed.stop();
    }
  });
});
