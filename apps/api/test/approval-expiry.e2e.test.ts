// An approval nobody decides expires (APPROVAL_TIMEOUT_MS): the reconciler requeues the job, which fails with
// a clear reason and never runs the call.
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

const send = recordingTool('send_email', { policy: 'never' });
let p: TestPlatform;

beforeAll(async () => {
  p = await startPlatform({
    label: 'approval_expiry',
    runtime: testRuntime([send.tool]),
    env: { APPROVAL_TIMEOUT_MS: '1000' },
  });
});
afterAll(() => p?.stop());

it('an undecided approval expires and fails the job with approval_expired', async () => {
  const res = await post(`${p.url}/submit`, {
    task: 't',
    script: [{ tool_calls: [{ name: 'send_email', input: { to: 'a@example.com' } }] }, { text: 'sent' }],
    approval: ['send_email'],
  });
  const { job_id } = await json<{ job_id: string }>(res);
  type Status = { status: string; error: { code: string; message: string } | null };
  const status = await eventually(async () => {
    const s = await json<Status>(await fetch(`${p.url}/status/${job_id}`));
    return s.status === 'failed' ? s : undefined;
  }, 15_000);
  expect(status.error?.code).toBe('approval_expired');
  expect(status.error?.message).toContain('send_email');
  expect(send.calls).toHaveLength(0);
  // Deciding after the expiry is refused.
  const late = await post(`${p.url}/jobs/${job_id}/approvals/call_0_0`, { decision: 'approve' });
  expect(late.status).toBe(409);
});
