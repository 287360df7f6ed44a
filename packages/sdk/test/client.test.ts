// AgentqClient against the real API: a fresh database, the API on a random port and an in-process
// worker (test-support/platform.ts), with API keys on so every call goes through authentication.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  recordingTool,
  startPlatform,
  type TestPlatform,
  testRuntime,
} from '../../../test-support/platform.ts';
import {
  AgentqClient,
  AgentqError,
  type FetchLike,
  type JobWebhookEvent,
  verifyWebhook,
  WaitTimeoutError,
  WebhookVerificationError,
} from '../src/index.ts';

const KEY = 'sdk-test-key-acme';
const OTHER_KEY = 'sdk-test-key-other';
const SECRET = `whsec_${btoa('sdk-test-webhook-secret-0123456789')}`;

const echo = recordingTool('echo');
let p: TestPlatform;
let client: AgentqClient;
let receiver: Server;
let receiverUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  p = await startPlatform({
    label: 'sdk_client',
    runtime: testRuntime([echo.tool]),
    env: {
      API_KEYS: `acme:${KEY},other:${OTHER_KEY}`,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
    },
  });
  client = new AgentqClient({ baseUrl: p.url, apiKey: KEY });
});
afterAll(async () => {
  await p?.stop();
  receiver?.close();
});

const twoSteps = [
  { tool_calls: [{ name: 'echo', input: { n: 1 } }], usage: { input_tokens: 10, output_tokens: 5 } },
  { text: 'final answer', usage: { input_tokens: 20, output_tokens: 7 } },
];

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

async function agentqError(promise: Promise<unknown>): Promise<AgentqError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(AgentqError);
  return error as AgentqError;
}

describe('submit, wait, get, steps', () => {
  it('submits a job and waits until it succeeded with its result, usage and steps', async () => {
    const submitted = await client.submit({
      task: 'say hi',
      script: twoSteps,
      tools: ['echo'],
      metadata: { k: 'v' },
    });
    expect(submitted).toEqual({
      job_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'queued',
      status_url: `${p.url}/status/${submitted.job_id}`,
      replayed: false,
    });

    const job = await client.wait(submitted.job_id, { timeoutMs: 15_000 });
    expect(job).toMatchObject({
      job_id: submitted.job_id,
      status: 'succeeded',
      result: 'final answer',
      error: null,
      steps_used: 2,
      tool_calls_used: 1,
      usage: { input_tokens: 30, output_tokens: 12, cost_usd: 0 },
      model: 'scripted',
      metadata: { k: 'v' },
    });
    expect(Date.parse(job.finished_at ?? '')).toBeGreaterThanOrEqual(Date.parse(job.started_at ?? ''));
    expect(await client.get(submitted.job_id)).toEqual(job);

    const steps = await client.steps(submitted.job_id);
    expect(steps.map((s) => [s.index, s.stop_reason, s.text])).toEqual([
      [0, 'tool_use', ''],
      [1, 'end_turn', 'final answer'],
    ]);
    expect(steps[0]?.usage).toEqual({ input_tokens: 10, output_tokens: 5, cost_usd: 0 });
    expect(steps[0]?.tool_calls).toEqual([
      expect.objectContaining({
        call_id: 'call_0_0',
        name: 'echo',
        input: { n: 1 },
        status: 'succeeded',
        result: { content: 'ok:{"n":1}', structured: { echoed: { n: 1 } } },
        idempotency_key: `aq_${submitted.job_id}_0_0`,
        attempts: 1,
        approval: null,
      }),
    ]);
    expect(steps[1]?.tool_calls).toEqual([]);
  });

  it('reports a failed job through wait() with its error (not as a thrown error)', async () => {
    const { job_id } = await client.submit({
      task: 't',
      script: [{ tool_calls: [{ name: 'echo', input: {} }] }],
      tools: ['echo'],
    });
    const job = await client.wait(job_id, { timeoutMs: 15_000 });
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('script_exhausted');
  });

  it('gives up waiting with a WaitTimeoutError that carries the last status', async () => {
    const { job_id } = await client.submit({ task: 't', script: [{ text: 'slow', delay_ms: 4_000 }] });
    const started = Date.now();
    const error = await rejection(client.wait(job_id, { timeoutMs: 400, pollSeconds: 0.15 }));
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).job).toMatchObject({
      job_id,
      status: expect.stringMatching(/^(queued|running)$/),
    });
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(2_500);
    await client.cancel(job_id);
  });

  it('refuses a poll longer than the API allows before sending anything', async () => {
    let sent = 0;
    const offline = new AgentqClient({
      baseUrl: p.url,
      fetch: () => {
        sent += 1;
        return Promise.reject(new TypeError('offline'));
      },
    });
    await expect(offline.wait(randomUUID(), { pollSeconds: 61 })).rejects.toThrow(RangeError);
    await expect(offline.wait(randomUUID(), { pollSeconds: 0 })).rejects.toThrow(RangeError);
    await expect(offline.run({ task: 't' }, { waitSeconds: 61 })).rejects.toThrow(RangeError);
    expect(sent).toBe(0);
  });
});

describe('errors', () => {
  it('turns a 400 into an AgentqError naming the field', async () => {
    const error = await agentqError(client.submit({ task: '   ', script: [{ text: 'x' }] }));
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/^task: /);
    expect(error.fieldErrors).toEqual([{ field: 'task', message: 'must not be empty' }]);

    const range = await agentqError(client.submit({ task: 't', script: [{ text: 'x' }], max_steps: 0 }));
    expect(range.fieldErrors.map((f) => f.field)).toEqual(['max_steps']);
  });

  it('turns an unknown job into a 404 AgentqError on every read', async () => {
    const id = randomUUID();
    const calls = [
      () => client.get(id),
      () => client.steps(id),
      () => client.deliveries(id),
      () => client.cancel(id),
    ];
    for (const call of calls) {
      const error = await agentqError(call());
      expect(error.status).toBe(404);
      expect(error.code).toBe('not_found');
    }
    expect((await agentqError(client.get('not-a-uuid'))).status).toBe(404);
  });

  it('sends the API key: none or a wrong one is a 401, another tenant sees no job', async () => {
    const noKey = await agentqError(new AgentqClient({ baseUrl: p.url }).get(randomUUID()));
    expect([noKey.status, noKey.code]).toEqual([401, 'unauthorized']);
    const wrong = await agentqError(
      new AgentqClient({ baseUrl: p.url, apiKey: 'not-a-key' }).get(randomUUID()),
    );
    expect([wrong.status, wrong.code]).toEqual([401, 'unauthorized']);

    const { job_id } = await client.submit({ task: 't', script: [{ text: 'x' }] });
    const other = new AgentqClient({ baseUrl: p.url, apiKey: OTHER_KEY });
    expect((await agentqError(other.get(job_id))).status).toBe(404);
  });

  it('goes through a custom fetch, with a base URL given with a trailing slash', async () => {
    const urls: string[] = [];
    const tracing: FetchLike = (url, init) => {
      urls.push(`${init.method} ${url}`);
      return fetch(url, init);
    };
    const traced = new AgentqClient({ baseUrl: `${p.url}/`, apiKey: KEY, fetch: tracing });
    const job = await traced.run({ task: 't', script: [{ text: 'x' }] }, { waitSeconds: 10 });
    expect(job.status).toBe('succeeded');
    expect(urls).toEqual([`POST ${p.url}/run?wait=10`]);
  });
});

describe('idempotency', () => {
  it('returns the same job for the same key, and 409 for the same key with a different task', async () => {
    const key = `sdk-${randomUUID()}`;
    const body = { task: 'once', script: [{ text: 'x' }] };
    const first = await client.submit(body, { idempotencyKey: key });
    const again = await client.submit(body, { idempotencyKey: key });
    expect(first.replayed).toBe(false);
    expect(again.replayed).toBe(true);
    expect(again.job_id).toBe(first.job_id);
    const rows = await p.db.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM job WHERE idempotency_key = ${key}`;
    expect(rows[0]?.n).toBe(1);

    const conflict = await agentqError(client.submit({ ...body, task: 'twice' }, { idempotencyKey: key }));
    expect(conflict.status).toBe(409);
    expect(conflict.code).toBe('idempotency_key_reused');
    expect(conflict.details).toEqual({ job_id: first.job_id });
  });
});

describe('run', () => {
  it('answers with the finished job when it ends within waitSeconds', async () => {
    const job = await client.run({ task: 't', script: [{ text: 'done' }] }, { waitSeconds: 15 });
    expect(job).toMatchObject({
      status: 'succeeded',
      result: 'done',
      status_url: `${p.url}/status/${job.job_id}`,
    });
  });

  it('answers with the unfinished job at the deadline, which wait() then follows to the end', async () => {
    const job = await client.run(
      { task: 't', script: [{ text: 'slow', delay_ms: 800 }] },
      { waitSeconds: 0.1 },
    );
    expect(job.status).toMatch(/^(queued|running)$/);
    expect((await client.wait(job.job_id, { timeoutMs: 10_000 })).result).toBe('slow');
  });
});

describe('cancel', () => {
  it('stops a running job: 202 running, then cancelled long before its turn would end', async () => {
    const { job_id } = await client.submit({ task: 't', script: [{ text: 'never', delay_ms: 10_000 }] });
    await eventually(async () => ((await client.get(job_id)).status === 'running' ? true : undefined), 5_000);
    const started = Date.now();
    const answer = await client.cancel(job_id);
    expect(answer.job_id).toBe(job_id);
    expect(answer.status).toBe('running'); // the worker stops it (HTTP 202)
    const job = await client.wait(job_id, { timeoutMs: 8_000, pollSeconds: 5 });
    expect(job.status).toBe('cancelled');
    expect(job.result).toBeNull();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('approvals', () => {
  const waitingFor = async (jobId: string) => {
    for await (const event of client.events(jobId)) {
      if (event.type === 'approval' && event.data.decision === undefined) return event.data;
    }
    throw new Error('the job ended without waiting for approval');
  };
  const script = [{ tool_calls: [{ id: 'c1', name: 'echo', input: { n: 1 } }] }, { text: 'done' }];

  it('approves a waiting call with edited input; the tool runs with that input', async () => {
    const { job_id } = await client.submit({ task: 't', tools: ['echo'], approval: ['echo'], script });
    const pending = await waitingFor(job_id);
    expect(pending).toMatchObject({ call_id: 'c1', reason: 'echo needs approval' });
    expect((await client.get(job_id)).status).toBe('waiting_approval');

    const answer = await client.approve(job_id, 'c1', { input: { n: 2 } });
    expect(answer).toMatchObject({ job_id, status: 'queued' });
    expect((await client.wait(job_id, { timeoutMs: 10_000 })).status).toBe('succeeded');
    const call = (await client.steps(job_id))[0]?.tool_calls[0];
    expect(call).toMatchObject({ approval: 'approved', input: { n: 2 }, status: 'succeeded' });
    expect(echo.calls.filter((c) => c.key === `aq_${job_id}_0_0`).map((c) => c.input)).toEqual([{ n: 2 }]);

    // Deciding again is a conflict: nothing is waiting any more.
    const again = await agentqError(client.approve(job_id, 'c1'));
    expect([again.status, again.code]).toEqual([409, 'not_waiting']);
  });

  it('rejects a waiting call with a reason; the tool never runs and the model is told why', async () => {
    const { job_id } = await client.submit({ task: 't', tools: ['echo'], approval: ['echo'], script });
    await waitingFor(job_id);
    const answer = await client.reject(job_id, 'c1', 'not today');
    expect(answer.status).toBe('queued');
    expect((await client.wait(job_id, { timeoutMs: 10_000 })).status).toBe('succeeded');
    const call = (await client.steps(job_id))[0]?.tool_calls[0];
    expect(call).toMatchObject({ approval: 'rejected', approval_reason: 'not today', status: 'failed' });
    expect(call?.result?.content).toMatch(/rejected.*not today/);
    expect(echo.calls.some((c) => c.key === `aq_${job_id}_0_0`)).toBe(false);
  });

  it('answers 404 for a call the job does not have', async () => {
    const { job_id } = await client.submit({ task: 't', script: [{ text: 'x' }] });
    const error = await agentqError(client.approve(job_id, 'no-such-call'));
    expect([error.status, error.code]).toEqual([404, 'not_found']);
  });
});

describe('webhook deliveries', () => {
  it('lists a delivered webhook that verifies through the SDK, and redelivers it with the same id', async () => {
    const { job_id } = await client.submit({
      task: 't',
      script: [{ text: 'hooked' }],
      webhook_url: receiverUrl,
    });
    const delivered = await eventually(async () => {
      const list = await client.deliveries(job_id);
      return list[0]?.status === 'delivered' ? list : undefined;
    });
    expect(delivered).toHaveLength(1);
    const delivery = delivered[0]!;
    expect(delivery).toMatchObject({ event_type: 'job.succeeded', url: receiverUrl, attempts: 1 });
    expect(delivery.attempt_log).toEqual([
      expect.objectContaining({ attempt: 1, status_code: 200, error: null }),
    ]);

    const hit = received.find((r) => r.headers['webhook-id'] === delivery.webhook_id);
    expect(hit).toBeDefined();
    const event = await verifyWebhook<JobWebhookEvent>({
      headers: hit!.headers,
      body: hit!.body,
      secrets: SECRET,
    });
    expect(event.type).toBe('job.succeeded');
    expect(event.data).toMatchObject({ job_id, status: 'succeeded', result: 'hooked' });
    const forged = await rejection(
      verifyWebhook({ headers: hit!.headers, body: hit!.body.replace('hooked', 'forged'), secrets: SECRET }),
    );
    expect(forged).toBeInstanceOf(WebhookVerificationError);

    const before = received.filter((r) => r.headers['webhook-id'] === delivery.webhook_id).length;
    expect(await client.redeliver(delivery.id)).toEqual({ id: delivery.id, status: 'pending' });
    await eventually(() =>
      received.filter((r) => r.headers['webhook-id'] === delivery.webhook_id).length > before
        ? true
        : undefined,
    );
    expect((await agentqError(client.redeliver(randomUUID()))).status).toBe(404);
  });
});
