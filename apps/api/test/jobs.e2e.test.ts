import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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
  p = await startPlatform({ runtime: testRuntime([echo.tool]), label: 'api' });
});
afterAll(() => p?.stop());

const script = [
  { tool_calls: [{ name: 'echo', input: { n: 1 } }], usage: { input_tokens: 10, output_tokens: 5 } },
  { text: 'final answer', usage: { input_tokens: 20, output_tokens: 7 } },
];

describe('a scripted job end to end', () => {
  it('reports health of Postgres and Redis', async () => {
    const res = await fetch(`${p.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('runs through queue, worker and loop to succeeded, with steps and usage', async () => {
    const res = await post(`${p.url}/submit`, { task: 'say hi', model: 'scripted', script });
    expect(res.status).toBe(202);
    const submitted = await json<{ job_id: string; status: string; status_url: string }>(res);
    expect(submitted.status).toBe('queued');
    expect(submitted.status_url).toBe(`${p.url}/status/${submitted.job_id}`);

    const answer = await fetch(`${submitted.status_url}?wait=20`);
    expect(answer.headers.get('etag')).toBeNull(); // no body hashing for conditional requests nobody makes
    const status = await json<Record<string, unknown>>(answer);
    expect(status).toMatchObject({
      job_id: submitted.job_id,
      status: 'succeeded',
      result: 'final answer',
      error: null,
      steps_used: 2,
      usage: { input_tokens: 30, output_tokens: 12, cost_usd: 0 },
    });
    expect(Date.parse(status.finished_at as string)).toBeGreaterThanOrEqual(
      Date.parse(status.started_at as string),
    );

    const steps = await json<{ index: number; text: string; tool_calls: Record<string, unknown>[] }[]>(
      await fetch(`${p.url}/jobs/${submitted.job_id}/steps`),
    );
    expect(steps.map((s) => s.index)).toEqual([0, 1]);
    expect(steps[1]?.text).toBe('final answer');
    expect(steps[0]?.tool_calls).toEqual([
      expect.objectContaining({
        call_id: 'call_0_0',
        name: 'echo',
        input: { n: 1 },
        status: 'succeeded',
        result: { content: 'ok:{"n":1}', structured: { echoed: { n: 1 } } },
        idempotency_key: `aq_${submitted.job_id}_0_0`,
        attempts: 1,
      }),
    ]);
    expect(echo.calls.filter((c) => c.key === `aq_${submitted.job_id}_0_0`)).toHaveLength(1);
  });

  it('POST /run waits for the result', async () => {
    const res = await post(`${p.url}/run?wait=20`, { task: 't', script: [{ text: 'done' }] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'succeeded', result: 'done' });
  });

  it('POST /run answers 202 when the job is still running at the deadline', async () => {
    const res = await post(`${p.url}/run?wait=0.2`, {
      task: 't',
      script: [{ text: 'slow', delay_ms: 1500 }],
    });
    expect(res.status).toBe(202);
    expect((await json<{ status: string }>(res)).status).toMatch(/queued|running/);
  });

  it('fails a job that runs past its script, with a clear error and its partial progress', async () => {
    const res = await post(`${p.url}/run?wait=20`, {
      task: 't',
      script: [{ tool_calls: [{ name: 'echo', input: {} }] }],
    });
    const body = await json<{ status: string; steps_used: number; error: { code: string; message: string } }>(
      res,
    );
    expect(body.status).toBe('failed');
    expect(body.steps_used).toBe(1);
    expect(body.error.code).toBe('script_exhausted');
    expect(body.error.message).toMatch(/1 turn/);
  });

  it('stops at max_steps with max_steps_exceeded', async () => {
    const loop = Array.from({ length: 5 }, (_, i) => ({ tool_calls: [{ name: 'echo', input: { i } }] }));
    const res = await post(`${p.url}/run?wait=20`, { task: 't', script: loop, max_steps: 2 });
    const body = await json<{ status: string; steps_used: number; error: { code: string } }>(res);
    expect(body).toMatchObject({ status: 'failed', steps_used: 2, error: { code: 'max_steps_exceeded' } });
  });
});

describe('Idempotency-Key', () => {
  it('returns the same job for the same key and creates nothing new', async () => {
    const body = { task: 'once', script: [{ text: 'x' }] };
    const a = await json<{ job_id: string }>(
      await post(`${p.url}/submit`, body, { 'Idempotency-Key': 'k-1' }),
    );
    const second = await post(`${p.url}/submit`, body, { 'Idempotency-Key': 'k-1' });
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await json<{ job_id: string }>(second)).job_id).toBe(a.job_id);
    const n = await p.db.prisma.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM job WHERE idempotency_key = 'k-1'`;
    expect(n[0]?.n).toBe(1);
  });

  it('refuses a reused key for a different task with 409', async () => {
    await post(`${p.url}/submit`, { task: 'one', script: [{ text: 'x' }] }, { 'Idempotency-Key': 'k-2' });
    const res = await post(
      `${p.url}/submit`,
      { task: 'two', script: [{ text: 'x' }] },
      { 'Idempotency-Key': 'k-2' },
    );
    expect(res.status).toBe(409);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('idempotency_key_reused');
  });
});

describe('bad input', () => {
  const cases: [string, unknown, string][] = [
    ['missing task', { script: [{ text: 'x' }] }, 'task'],
    ['empty task', { task: '  ', script: [{ text: 'x' }] }, 'task'],
    ['task of the wrong type', { task: 42 }, 'task'],
    ['max_steps out of range', { task: 't', script: [{ text: 'x' }], max_steps: 0 }, 'max_steps'],
    ['max_steps not an integer', { task: 't', script: [{ text: 'x' }], max_steps: 'many' }, 'max_steps'],
    ['an unknown field', { task: 't', script: [{ text: 'x' }], max_step: 3 }, 'body'],
    ['a bad webhook_url', { task: 't', script: [{ text: 'x' }], webhook_url: 'ftp://x' }, 'webhook_url'],
    ['a bad script turn', { task: 't', script: [{ txt: 'x' }] }, 'script.0'],
    ['scripted without script', { task: 't', model: 'scripted' }, 'script'],
    ['an unknown model', { task: 't', model: 'gpt-17' }, 'model'],
    ['an unknown tool', { task: 't', script: [{ text: 'x' }], tools: ['nope'] }, 'tools'],
    ['a body that is an array', [1, 2], 'body'],
  ];
  it.each(cases)('%s → 400 naming the field', async (_name, body, field) => {
    const res = await post(`${p.url}/submit`, body);
    expect(res.status).toBe(400);
    const { error } = await json<{ error: { code: string; message: string; details?: { field: string }[] } }>(
      res,
    );
    expect(error.message.startsWith(`${field}`)).toBe(true);
    expect(error.code).toMatch(/invalid_request|model_unavailable|unknown_tool/);
  });

  it('invalid JSON → 400 invalid_json', async () => {
    const res = await fetch(`${p.url}/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"task": ',
    });
    expect(res.status).toBe(400);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('invalid_json');
  });

  it('a body over the size limit → 413', async () => {
    const res = await post(`${p.url}/submit`, { task: 'x'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
  });

  it('unknown and malformed job ids → 404', async () => {
    for (const path of [
      '/status/00000000-0000-4000-8000-000000000000',
      '/status/not-a-uuid',
      '/jobs/nope/steps',
    ]) {
      const res = await fetch(`${p.url}${path}`);
      expect(res.status, path).toBe(404);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('not_found');
    }
  });

  it('?wait out of range → 400 naming wait', async () => {
    const res = await fetch(`${p.url}/status/00000000-0000-4000-8000-000000000000?wait=999`);
    expect(res.status).toBe(400);
    expect((await json<{ error: { message: string } }>(res)).error.message).toMatch(/^wait/);
  });
});

describe('Bull Board', () => {
  it('lists the agent queue', async () => {
    const page = await fetch(`${p.url}/admin/queues`);
    expect(page.status).toBe(200);
    const api = await json<{ queues: { name: string }[] }>(await fetch(`${p.url}/admin/queues/api/queues`));
    expect(api.queues.map((q) => q.name)).toContain('agent-runs');
  });
});

describe('GET /jobs', () => {
  it('lists the tenant jobs newest first with filters and a stable cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post(`${p.url}/submit`, {
        task: `list ${i}`,
        script: [{ text: 'x' }],
        user_id: 'lister',
      });
      ids.push((await json<{ job_id: string }>(res)).job_id);
    }
    type Page = { jobs: { job_id: string; status: string }[]; next_cursor: string | null };
    const first = await json<Page>(await fetch(`${p.url}/jobs?user_id=lister&limit=2`));
    expect(first.jobs.map((j) => j.job_id)).toEqual([ids[4], ids[3]]);
    const second = await json<Page>(
      await fetch(`${p.url}/jobs?user_id=lister&limit=2&cursor=${first.next_cursor}`),
    );
    expect(second.jobs.map((j) => j.job_id)).toEqual([ids[2], ids[1]]);
    const third = await json<Page>(
      await fetch(`${p.url}/jobs?user_id=lister&limit=2&cursor=${second.next_cursor}`),
    );
    expect(third.jobs.map((j) => j.job_id)).toEqual([ids[0]]);
    expect(third.next_cursor).toBeNull();

    await fetch(`${p.url}/status/${ids[4]}?wait=10`);
    const done = await json<Page>(await fetch(`${p.url}/jobs?user_id=lister&status=succeeded,failed`));
    expect(done.jobs.every((j) => j.status === 'succeeded' || j.status === 'failed')).toBe(true);
    expect(done.jobs.map((j) => j.job_id)).toContain(ids[4]);
    const future = await json<Page>(
      await fetch(
        `${p.url}/jobs?created_after=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      ),
    );
    expect(future.jobs).toEqual([]);
  });

  it('bad filters → 400 naming the field', async () => {
    for (const [q, field] of [
      ['status=done', 'status'],
      ['limit=0', 'limit'],
      ['cursor=zzz', 'cursor'],
      ['created_after=yesterday', 'created_after'],
      ['colour=red', 'query'],
    ]) {
      const res = await fetch(`${p.url}/jobs?${q}`);
      expect(res.status, q).toBe(400);
      expect(
        (await json<{ error: { message: string } }>(res)).error.message.startsWith(field as string),
        q,
      ).toBe(true);
    }
  });
});
