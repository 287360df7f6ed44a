// Approvals, cancel in every state, and the durable event stream — through the real API and workers.
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

const send = recordingTool('send_email', { policy: 'never' });
const slow = recordingTool('slow', {
  policy: 'safe',
  run: () => new Promise((r) => setTimeout(() => r({ content: 'late' }), 60_000)),
});
let p: TestPlatform;

beforeAll(async () => {
  p = await startPlatform({ label: 'control', runtime: testRuntime([send.tool, slow.tool]) });
});
afterAll(() => p?.stop());

type Status = {
  job_id: string;
  status: string;
  result: string | null;
  error: { code: string } | null;
  steps_used: number;
};
const status = async (id: string, wait = 0) =>
  json<Status>(await fetch(`${p.url}/status/${id}?wait=${wait}`));
const submit = async (body: object) =>
  (await json<{ job_id: string }>(await post(`${p.url}/submit`, body))).job_id;
const waitFor = (id: string, wanted: string) =>
  eventually(async () => ((await status(id)).status === wanted ? true : undefined));
const decide = (id: string, call: string, body: object) =>
  post(`${p.url}/jobs/${id}/approvals/${call}`, body);

const approvalScript = (final: string) => [
  { tool_calls: [{ name: 'send_email', input: { to: 'a@example.com' } }] },
  { text: final },
];

describe('human in the loop', () => {
  it('waits for approval, frees the worker, and runs the call once approved', async () => {
    const id = await submit({ task: 't', script: approvalScript('sent'), approval: ['send_email'] });
    await waitFor(id, 'waiting_approval');
    expect(send.calls.filter((c) => c.key.startsWith(`aq_${id}`))).toHaveLength(0);
    const res = await decide(id, 'call_0_0', { decision: 'approve' });
    expect(res.status).toBe(200);
    expect((await status(id, 20)).status).toBe('succeeded');
    expect(send.calls.filter((c) => c.key === `aq_${id}_0_0`)).toHaveLength(1);
  });

  it('approve with edited input runs the edited call', async () => {
    const id = await submit({ task: 't', script: approvalScript('sent'), approval: ['send_email'] });
    await waitFor(id, 'waiting_approval');
    await decide(id, 'call_0_0', { decision: 'approve', input: { to: 'b@example.com' } });
    expect((await status(id, 20)).status).toBe('succeeded');
    expect(send.calls.find((c) => c.key === `aq_${id}_0_0`)?.input).toEqual({ to: 'b@example.com' });
  });

  it('reject never runs the call and the model sees the reason', async () => {
    const id = await submit({
      task: 't',
      script: approvalScript('ok, not sending'),
      approval: ['send_email'],
    });
    await waitFor(id, 'waiting_approval');
    await decide(id, 'call_0_0', { decision: 'reject', reason: 'wrong recipient' });
    expect((await status(id, 20)).status).toBe('succeeded');
    expect(send.calls.filter((c) => c.key.startsWith(`aq_${id}`))).toHaveLength(0);
    const steps = await json<{ tool_calls: { status: string; result: { content: string } }[] }[]>(
      await fetch(`${p.url}/jobs/${id}/steps`),
    );
    expect(steps[0]?.tool_calls[0]).toMatchObject({
      status: 'failed',
      result: { content: expect.stringContaining('wrong recipient') },
    });
  });

  it('refuses decisions that make no sense', async () => {
    const id = await submit({ task: 't', script: [{ text: 'x' }] });
    await waitFor(id, 'succeeded');
    expect((await decide(id, 'call_0_0', { decision: 'approve' })).status).toBe(404);
    const waiting = await submit({ task: 't', script: approvalScript('x'), approval: ['send_email'] });
    await waitFor(waiting, 'waiting_approval');
    expect((await decide(waiting, 'call_0_0', { decision: 'maybe' })).status).toBe(400);
    expect((await decide(waiting, 'call_0_0', { decision: 'reject', input: { to: 'x' } })).status).toBe(400);
    await decide(waiting, 'call_0_0', { decision: 'reject' });
    expect((await decide(waiting, 'call_0_0', { decision: 'approve' })).status).toBe(409);
  });
});

describe('cancel', () => {
  it('a running job: the abort reaches the model call, partial progress is kept', async () => {
    const id = await submit({
      task: 't',
      script: [{ tool_calls: [{ name: 'send_email', input: {} }] }, { text: 'never', delay_ms: 30_000 }],
    });
    await eventually(async () => ((await status(id)).steps_used === 1 ? true : undefined));
    const started = Date.now();
    const res = await post(`${p.url}/jobs/${id}/cancel`, {});
    expect([200, 202]).toContain(res.status);
    await waitFor(id, 'cancelled');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await status(id)).steps_used).toBe(1);
  });

  it('a running job: the abort reaches the tool in flight', async () => {
    const id = await submit({
      task: 't',
      script: [{ tool_calls: [{ name: 'slow', input: {} }] }, { text: 'x' }],
    });
    await eventually(() => (slow.calls.some((c) => c.key === `aq_${id}_0_0`) ? true : undefined));
    await post(`${p.url}/jobs/${id}/cancel`, {});
    await waitFor(id, 'cancelled');
  });

  it('a waiting job ends cancelled at once', async () => {
    const id = await submit({ task: 't', script: approvalScript('x'), approval: ['send_email'] });
    await waitFor(id, 'waiting_approval');
    const res = await post(`${p.url}/jobs/${id}/cancel`, {});
    expect(res.status).toBe(200);
    expect((await json<Status>(res)).status).toBe('cancelled');
  });

  it('a queued job never starts', async () => {
    const idle = await startPlatform({ label: 'cancel_queued', workers: 0 });
    try {
      const res = await post(`${idle.url}/submit`, { task: 't', script: [{ text: 'x' }] });
      const { job_id } = await json<{ job_id: string }>(res);
      const cancelled = await post(`${idle.url}/jobs/${job_id}/cancel`, {});
      expect(cancelled.status).toBe(200);
      await idle.startWorker();
      await new Promise((r) => setTimeout(r, 500));
      const s = await json<Status & { started_at: string | null }>(
        await fetch(`${idle.url}/status/${job_id}`),
      );
      expect(s).toMatchObject({ status: 'cancelled', steps_used: 0, started_at: null });
    } finally {
      await idle.stop();
    }
  });
});

/** Reads an SSE response to its end: [{id, event, data}] */
async function readSse(
  res: Response,
): Promise<{ id: number; event: string; data: { data: Record<string, unknown> } }[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .map((block) =>
      Object.fromEntries(
        block
          .split('\n')
          .filter((l) => l && !l.startsWith(':'))
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
      ),
    )
    .filter((f) => f.id)
    .map((f) => ({ id: Number(f.id), event: f.event, data: JSON.parse(f.data) }));
}

describe('events (SSE)', () => {
  it('streams the whole life of a job and ends after the terminal event; Last-Event-ID resumes exactly', async () => {
    const id = await submit({
      task: 't',
      script: [{ tool_calls: [{ name: 'send_email', input: {} }], delay_ms: 300 }, { text: 'done' }],
    });
    const res = await fetch(`${p.url}/jobs/${id}/events`);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const all = await readSse(res);
    expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
    expect(all.map((e) => e.event)).toEqual([
      'status',
      'status',
      'step',
      'tool_call',
      'tool_call',
      'step',
      'status',
    ]);
    expect(all.map((e) => e.data.data.status).filter(Boolean)).toEqual([
      'queued',
      'running',
      'running',
      'succeeded',
      'succeeded',
    ]);

    const rest = await readSse(
      await fetch(`${p.url}/jobs/${id}/events`, { headers: { 'Last-Event-ID': '3' } }),
    );
    expect(rest.map((e) => e.id)).toEqual(all.slice(3).map((e) => e.id));
    expect(rest).toEqual(all.slice(3));
  });

  it('404 for another id, 400 for a bad Last-Event-ID', async () => {
    expect((await fetch(`${p.url}/jobs/00000000-0000-4000-8000-000000000000/events`)).status).toBe(404);
    const id = await submit({ task: 't', script: [{ text: 'x' }] });
    expect((await fetch(`${p.url}/jobs/${id}/events`, { headers: { 'Last-Event-ID': 'abc' } })).status).toBe(
      400,
    );
  });
});

describe('finished jobs', () => {
  it('cancel of a finished job is a 409, of a cancelled one a 200', async () => {
    const id = await submit({ task: 't', script: [{ text: 'x' }] });
    await waitFor(id, 'succeeded');
    const res = await post(`${p.url}/jobs/${id}/cancel`, {});
    expect(res.status).toBe(409);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('job_finished');
  });

  it('an event stream resumed after the terminal event ends at once', async () => {
    const id = await submit({ task: 't', script: [{ text: 'x' }] });
    await waitFor(id, 'succeeded');
    const all = await readSse(await fetch(`${p.url}/jobs/${id}/events`));
    const last = all.at(-1)?.id ?? 0;
    const started = Date.now();
    const rest = await readSse(
      await fetch(`${p.url}/jobs/${id}/events`, { headers: { 'Last-Event-ID': String(last) } }),
    );
    expect(rest).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
