// Schedules through the real API and workers: every firing is an ordinary job with its own status,
// deleting a schedule stops it, a template is checked exactly like a /submit body, and the worker rebuilds
// the job schedulers Redis has lost.
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

const echo = recordingTool('echo');
let p: TestPlatform;

beforeAll(async () => {
  p = await startPlatform({ label: 'schedules', runtime: testRuntime([echo.tool]) });
});
afterAll(() => p?.stop());

type Schedule = {
  id: string;
  name: string | null;
  cron: string | null;
  every_seconds: number | null;
  template: Record<string, unknown>;
  created_at: string;
  next_run_at: string | null;
};
type ErrorBody = { error: { code: string; message: string; details?: { field: string }[] } };

const jobsOf = (scheduleId: string) =>
  p.db.prisma.$queryRaw<{ id: string; idempotency_key: string }[]>`
    SELECT id::text, idempotency_key FROM job WHERE schedule_id = ${scheduleId} ORDER BY created_at`;
const create = async (body: object) => {
  const res = await post(`${p.url}/schedules`, body);
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
  return json<Schedule>(res);
};

describe('schedules', () => {
  it('every_seconds=1 fires repeatedly, each firing an ordinary job; DELETE stops it', async () => {
    const template = { task: 'tick', script: [{ text: 'tock' }], metadata: { from: 'schedule' } };
    const s = await create({ name: 'ticker', every_seconds: 1, template });
    expect(s).toMatchObject({ name: 'ticker', cron: null, every_seconds: 1, template });
    expect((await json<Schedule[]>(await fetch(`${p.url}/schedules`))).map((x) => x.id)).toContain(s.id);

    const fired = await eventually(async () => {
      const jobs = await jobsOf(s.id);
      return jobs.length >= 2 ? jobs : undefined;
    }, 10_000);
    // Distinct jobs, one per firing, each with its own status that runs to the end.
    expect(new Set(fired.map((j) => j.id)).size).toBe(fired.length);
    expect(new Set(fired.map((j) => j.idempotency_key)).size).toBe(fired.length);
    for (const job of fired.slice(0, 2)) {
      const status = await json<Record<string, unknown>>(await fetch(`${p.url}/status/${job.id}?wait=10`));
      expect(status).toMatchObject({ job_id: job.id, status: 'succeeded', result: 'tock' });
      expect(status.metadata).toEqual({ from: 'schedule' });
    }

    const del = await fetch(`${p.url}/schedules/${s.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await fetch(`${p.url}/schedules/${s.id}`)).status).toBe(404);
    expect((await fetch(`${p.url}/schedules/${s.id}`, { method: 'DELETE' })).status).toBe(404);
    // A firing already under way may still land; after that, nothing more.
    await new Promise((r) => setTimeout(r, 1_200));
    const settled = (await jobsOf(s.id)).length;
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await jobsOf(s.id)).length).toBe(settled);
  });

  it('a cron schedule is listed with its next run (cron in UTC)', async () => {
    const s = await create({ cron: '0 9 * * 1', template: { task: 't', script: [{ text: 'x' }] } });
    expect(s.every_seconds).toBeNull();
    const next = new Date(s.next_run_at!);
    expect(next.getUTCDay()).toBe(1);
    expect(next.getUTCHours()).toBe(9);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    const got = await json<Schedule>(await fetch(`${p.url}/schedules/${s.id}`));
    expect(got).toEqual(s);
  });

  it('a firing retried after it created its job creates nothing new', async () => {
    const s = await create({ cron: '0 0 1 1 *', template: { task: 't', script: [{ text: 'x' }] } });
    const queue = p.queues.queue('scheduledRun');
    const fire = () =>
      queue.add('scheduledRun', { schedule_id: s.id, tenant_id: 'default' }, { jobId: `manual-${s.id}` });
    await fire();
    await eventually(async () => ((await jobsOf(s.id)).length === 1 ? true : undefined));
    // The same firing again (same BullMQ job id, as on a retry).
    await (await queue.getJob(`manual-${s.id}`))?.remove();
    await fire();
    await eventually(async () =>
      (await queue.getJobState(`manual-${s.id}`)) === 'completed' ? true : undefined,
    );
    expect(await jobsOf(s.id)).toHaveLength(1);
  });

  it('rebuilds job schedulers Redis lost, and drops the ones whose schedule is gone', async () => {
    const s = await create({ cron: '0 0 1 1 *', template: { task: 't', script: [{ text: 'x' }] } });
    const queue = p.queues.queue('scheduledRun');
    await queue.removeJobScheduler(s.id); // as if Redis restarted empty
    await queue.upsertJobScheduler('orphan-scheduler', { every: 60_000 }, { name: 'scheduledRun' });
    await eventually(async () => {
      const ids = (await queue.getJobSchedulers(0, -1)).map((x) => x.id ?? x.key);
      return ids.includes(s.id) && !ids.includes('orphan-scheduler') ? true : undefined;
    }, 10_000);
  });
});

describe('schedule validation', () => {
  const template = { task: 't', script: [{ text: 'x' }] };
  const cases: [string, unknown, string, string?][] = [
    ['neither cron nor every_seconds', { template }, 'body'],
    ['both cron and every_seconds', { cron: '* * * * *', every_seconds: 5, template }, 'body'],
    ['a cron pattern that is not one', { cron: 'every monday', template }, 'cron'],
    ['a cron value out of range', { cron: '61 * * * *', template }, 'cron'],
    ['every_seconds zero', { every_seconds: 0, template }, 'every_seconds'],
    ['every_seconds fractional', { every_seconds: 1.5, template }, 'every_seconds'],
    ['every_seconds as a string', { every_seconds: '5', template }, 'every_seconds'],
    ['no template', { every_seconds: 5 }, 'template'],
    ['a template without task', { every_seconds: 5, template: { script: [{ text: 'x' }] } }, 'template.task'],
    [
      'a template with an unknown field',
      { every_seconds: 5, template: { ...template, max_step: 3 } },
      'template',
    ],
    [
      'a template with an unknown model',
      { every_seconds: 5, template: { task: 't', model: 'gpt-17' } },
      'template.model',
      'model_unavailable',
    ],
    [
      'a template with an unknown tool',
      { every_seconds: 5, template: { ...template, tools: ['nope'] } },
      'template.tools',
      'unknown_tool',
    ],
    [
      'a scripted template without script',
      { every_seconds: 5, template: { task: 't', model: 'scripted' } },
      'template.script',
    ],
    [
      'a webhook without WEBHOOK_SECRET',
      { every_seconds: 5, template: { ...template, webhook_url: 'https://example.com/h' } },
      'template.webhook_url',
    ],
    ['an unknown field', { every_seconds: 5, template, when: 'now' }, 'body'],
  ];
  it.each(cases)('%s → 400 naming the field', async (_name, body, field, code = 'invalid_request') => {
    const res = await post(`${p.url}/schedules`, body);
    expect(res.status).toBe(400);
    const { error } = await json<ErrorBody>(res);
    expect(error.code).toBe(code);
    expect(error.message.startsWith(`${field}:`) || error.message.startsWith(`${field}.`)).toBe(true);
  });

  it('creates nothing for a refused schedule', async () => {
    const before = await p.db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM schedule`;
    await post(`${p.url}/schedules`, { cron: 'nope', template });
    const after = await p.db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM schedule`;
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('malformed and unknown schedule ids → 404', async () => {
    for (const id of ['nope', '00000000-0000-4000-8000-000000000000']) {
      expect((await fetch(`${p.url}/schedules/${id}`)).status).toBe(404);
      expect((await fetch(`${p.url}/schedules/${id}`, { method: 'DELETE' })).status).toBe(404);
    }
  });
});
