// Resume at every point of a run's lifecycle, with real worker processes killed by SIGKILL, real Postgres
// and real Redis: no recorded step is asked of the model again and no completed call runs again; a call
// interrupted mid-flight is resolved by its retry policy (same idempotency key, or "outcome unknown").
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, json, post, startPlatform, type TestPlatform } from '../../../test-support/platform.ts';
import { spawnWorker, type WorkerProcess } from '../../../test-support/worker-process.ts';

interface Hit {
  path: string;
  key: string;
}
let p: TestPlatform;
let receiver: Server;
let base: string;
const hits: Hit[] = [];
/** Paths whose first request is held open (the worker dies "during the call"). */
const holdFirst = new Set<string>();
const held: ServerResponse[] = [];
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '';
    hits.push({ path, key: String(req.headers['idempotency-key']) });
    req.resume();
    if (holdFirst.delete(path)) return void held.push(res);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  p = await startPlatform({
    label: 'resume',
    workers: 0,
    env: { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '500', RECONCILE_INTERVAL_MS: '1000' },
  });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.kill()));
});
afterAll(async () => {
  for (const res of held) res.destroy();
  receiver?.close();
  await p?.stop();
});

const workerEnv = { HTTP_TOOL_ALLOW_PRIVATE: 'true', RUN_PYTHON: 'on' };
async function startWorker(): Promise<WorkerProcess> {
  const w = spawnWorker(p.config, workerEnv);
  workers.push(w);
  await w.ready;
  return w;
}
const http = (path: string) => ({ name: 'http_request', input: { method: 'POST', url: `${base}${path}` } });
const submit = async (script: unknown[]) =>
  (await json<{ job_id: string }>(await post(`${p.url}/submit`, { task: 't', script, max_steps: 10 })))
    .job_id;
type Steps = {
  index: number;
  tool_calls: { call_id: string; status: string; attempts: number; idempotency_key: string }[];
}[];
const steps = async (id: string) => json<Steps>(await fetch(`${p.url}/jobs/${id}/steps`));
const finalStatus = async (id: string) =>
  json<{ status: string; error: { code: string } | null; steps_used: number }>(
    await fetch(`${p.url}/status/${id}?wait=30`),
  );
const hitsOf = (path: string) => hits.filter((h) => h.path === path);

describe('resume after SIGKILL', () => {
  it('before the model call (after a tool result was recorded): the completed call is not run again', async () => {
    const first = await startWorker();
    const id = await submit([
      { tool_calls: [http('/a1')] },
      { tool_calls: [http('/a2')], delay_ms: 4_000 },
      { text: 'done' },
    ]);
    // Step 0's call has succeeded; the "model" is thinking about step 1 when the worker dies.
    await eventually(async () =>
      (await steps(id))[0]?.tool_calls[0]?.status === 'succeeded' ? true : undefined,
    );
    await first.kill();
    await startWorker();
    const status = await finalStatus(id);
    expect(status.status).toBe('succeeded');
    expect(status.steps_used).toBe(3);
    expect(hitsOf('/a1')).toHaveLength(1);
    expect(hitsOf('/a2')).toHaveLength(1);
  }, 40_000);

  it('during a tool call, and after the step was recorded: the interrupted call re-runs with the same key, the pending one runs once', async () => {
    holdFirst.add('/b1');
    const first = await startWorker();
    const id = await submit([{ tool_calls: [http('/b1'), http('/b2')] }, { text: 'done' }]);
    await eventually(() => (hitsOf('/b1').length === 1 ? true : undefined));
    const before = await steps(id);
    expect(before[0]?.tool_calls.map((c) => c.status)).toEqual(['running', 'pending']);
    await first.kill();
    await startWorker();
    const status = await finalStatus(id);
    expect(status.status).toBe('succeeded');
    expect(hitsOf('/b1').map((h) => h.key)).toEqual([`aq_${id}_0_0`, `aq_${id}_0_0`]);
    expect(hitsOf('/b2').map((h) => h.key)).toEqual([`aq_${id}_0_1`]);
    const after = await steps(id);
    expect(after[0]?.tool_calls.map((c) => [c.status, c.attempts])).toEqual([
      ['succeeded', 2],
      ['succeeded', 1],
    ]);
  }, 40_000);

  it('during a call whose policy is "never": the job fails with outcome_unknown instead of guessing', async () => {
    const first = await startWorker();
    const marker = `${base}/py-started`;
    const code = `import urllib.request, time\nurllib.request.urlopen(urllib.request.Request("${marker}", method="POST"))\ntime.sleep(30)`;
    const id = await submit([
      { tool_calls: [{ name: 'run_python', input: { code } }] },
      { text: 'never reached' },
    ]);
    await eventually(() => (hitsOf('/py-started').length === 1 ? true : undefined));
    await first.kill();
    await startWorker();
    const status = await finalStatus(id);
    expect(status.status).toBe('failed');
    expect(status.error?.code).toBe('outcome_unknown');
    expect(hitsOf('/py-started')).toHaveLength(1);
  }, 40_000);
});

describe('graceful shutdown', () => {
  it('SIGTERM hands an in-flight run back at once; another worker resumes it without waiting for the lock', async () => {
    // A long lock: only a handback (not BullMQ's stalled-job check) can move the job within seconds.
    const env = { WORKER_LOCK_MS: '30000', SHUTDOWN_GRACE_MS: '0' };
    const first = spawnWorker(p.config, { ...workerEnv, ...env });
    workers.push(first);
    await first.ready;
    const id = await submit([{ tool_calls: [http('/g1')] }, { text: 'done', delay_ms: 20_000 }]);
    await eventually(async () =>
      (await steps(id))[0]?.tool_calls[0]?.status === 'succeeded' ? true : undefined,
    );
    const exited = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGTERM');
    await exited;
    const handedBackAt = Date.now();
    const second = spawnWorker(p.config, { ...workerEnv, ...env });
    workers.push(second);
    await second.ready;
    // The resumed run re-does only the unrecorded model call (20 s "thinking"): watch for the claim instead.
    const owner = async () =>
      (
        await p.db.prisma.$queryRaw<
          { lease_owner: string | null }[]
        >`SELECT lease_owner FROM job WHERE id = ${id}::uuid`
      )[0]?.lease_owner;
    await eventually(
      async () => ((await owner())?.includes(`:${second.child.pid}:`) ? true : undefined),
      10_000,
    );
    expect(Date.now() - handedBackAt).toBeLessThan(10_000);
    expect(hitsOf('/g1')).toHaveLength(1);
  }, 40_000);
});
