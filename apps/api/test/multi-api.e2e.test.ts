// Several API instances serve one deployment: a job submitted to one is awaited, streamed and cancelled
// through another (long-polls and event streams read Postgres and wake on Redis pub/sub).
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { json, post, startPlatform, type TestPlatform } from '../../../test-support/platform.ts';
import { createApi, type RunningApi } from '../src/server.ts';

let p: TestPlatform;
let second: RunningApi;
let secondUrl: string;

beforeAll(async () => {
  p = await startPlatform({ label: 'multi_api' });
  second = await createApi({
    config: p.config,
    log: pino({ level: 'silent' }),
    runtime: { defaultModel: () => 'scripted', modelProblem: () => undefined, unknownTools: () => [] },
  });
  await new Promise<void>((r) => second.server.listen(0, '127.0.0.1', r));
  secondUrl = `http://127.0.0.1:${(second.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await second?.close();
  await p?.stop();
});

it('a job submitted to one instance is long-polled and streamed live from another', async () => {
  const res = await post(`${p.url}/submit`, { task: 't', script: [{ text: 'step', delay_ms: 800 }] });
  const { job_id } = await json<{ job_id: string }>(res);
  // Open the stream on the second instance before the job finishes: it must wake on the live change.
  const stream = fetch(`${secondUrl}/jobs/${job_id}/events`).then((r) => r.text());
  const started = Date.now();
  const status = await json<{ status: string }>(await fetch(`${secondUrl}/status/${job_id}?wait=20`));
  expect(status.status).toBe('succeeded');
  expect(Date.now() - started).toBeLessThan(5_000);
  const text = await stream;
  const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  expect(ids).toEqual(ids.map((_, i) => i + 1));
  expect(text).toContain('"status":"succeeded"');
});
