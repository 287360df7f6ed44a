// A step's provider data (e.g. Anthropic's signed thinking blocks) survives the trip through Postgres, so a
// run resumed on another worker hands the provider exactly what it sent.
import { JobsRepo, PostgresCheckpointStore } from '@agentq/db';
import { createTestDatabase, type TestDatabase } from '@agentq/db/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('provider_data');
});
afterAll(() => db?.drop());

it('is recorded with the step and comes back on the next claim', async () => {
  const jobs = new JobsRepo(db);
  await jobs.ensureTenant('t');
  const created = await jobs.create({
    tenantId: 't',
    task: 'x',
    model: 'claude-x',
    config: { max_steps: 5 },
  });
  const store = new PostgresCheckpointStore(db.sql);
  const first = await store.claim(created.job.job_id, 'w1', 60_000);
  if (first.kind !== 'claimed') throw new Error('not claimed');
  const providerData = {
    anthropic: { content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig/+=' }] },
  };
  const usage = { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 };
  await store.recordStep(
    first.lease,
    {
      index: 0,
      text: 't',
      toolCalls: [],
      stopReason: 'pause_turn',
      usage,
      model: 'claude-x',
      costUsd: 0,
      providerData,
    },
    [],
    [],
  );
  await store.recordStep(
    first.lease,
    { index: 1, text: 'u', toolCalls: [], stopReason: 'pause_turn', usage, model: 'claude-x', costUsd: 0 },
    [],
    [],
  );
  const again = await store.claim(created.job.job_id, 'w2', 60_000, { takeoverFrom: first.lease.owner });
  if (again.kind !== 'claimed') throw new Error('not claimed');
  expect(again.state.steps[0]?.providerData).toEqual(providerData);
  expect(again.state.steps[1]).not.toHaveProperty('providerData');
});
