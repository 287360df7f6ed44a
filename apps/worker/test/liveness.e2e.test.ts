// The liveness gate: a job handed out again while its run is alive (Redis lost the entry and the reconciler
// re-added it, or BullMQ saw a false stall) is not taken over — not even by the same worker — so the call in
// flight is never executed twice.
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  eventually,
  json,
  post,
  recordingTool,
  startPlatform,
  type TestPlatform,
  testRuntime,
} from '../../../test-support/platform.ts';

let release: () => void = () => {};
const slow = recordingTool('charge_card', {
  policy: 'retry_with_key',
  run: () =>
    new Promise((resolve) => {
      release = () => resolve({ content: 'charged' });
    }),
});
let p: TestPlatform;

beforeAll(async () => {
  p = await startPlatform({ label: 'liveness', runtime: testRuntime([slow.tool]) });
});
afterAll(() => p?.stop());

it('a running job enqueued again is not claimed again by the worker running it', async () => {
  const res = await post(`${p.url}/submit`, {
    task: 't',
    script: [{ tool_calls: [{ name: 'charge_card', input: { cents: 100 } }] }, { text: 'done' }],
  });
  const { job_id } = await json<{ job_id: string }>(res);
  await eventually(() => (slow.calls.length === 1 ? true : undefined));
  // Redis "loses" the job while its call is in flight; the reconciler would re-add it like this.
  await p.queues.queue('agentRun').obliterate({ force: true });
  await p.queues.enqueueRun(job_id, 'default');
  await new Promise((r) => setTimeout(r, 2_500));
  expect(slow.calls).toHaveLength(1);
  release();
  const status = await json<{ status: string }>(await fetch(`${p.url}/status/${job_id}?wait=20`));
  expect(status.status).toBe('succeeded');
  expect(slow.calls).toHaveLength(1);
});
