// Memory end to end (README "Memory"): the real worker runtime (memory tools, sessions, auto-recall,
// summaries) on real Postgres and Redis, with the scripted model wrapped to record what it was sent.
import type { ModelRequest } from '@agentq/agent';
import { RECALL_HEADER } from '@agentq/memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, json, startPlatform, type TestPlatform } from '../../../test-support/platform.ts';

const T1 = { authorization: 'Bearer key-aaaaaaaa' };
const T2 = { authorization: 'Bearer key-bbbbbbbb' };
/** A job whose task contains this skips finished(), like a worker dying right after the final checkpoint. */
const SKIP_FINISHED = '[skip-finished]';
const FACT = 'The user prefers metric units.';

const requests: ModelRequest[] = [];
let p: TestPlatform;

beforeAll(async () => {
  p = await startPlatform({
    label: 'memory',
    realRuntime: (runtime) => ({
      ...runtime,
      model(name, script) {
        const inner = runtime.model(name, script);
        return {
          id: inner.id,
          generate: (request) => {
            requests.push(request);
            return inner.generate(request);
          },
        };
      },
      finished: (job, end) =>
        job.task.includes(SKIP_FINISHED)
          ? Promise.resolve()
          : (runtime.finished?.(job, end) ?? Promise.resolve()),
    }),
    env: {
      API_KEYS: 't1:key-aaaaaaaa,t2:key-bbbbbbbb',
      MEMORY_AUTO_RECALL: '3',
      MEMORY_SAVE_SUMMARY: 'true',
      SESSION_TTL: '120',
    },
  });
});
afterAll(() => p?.stop());

type Status = {
  job_id: string;
  status: string;
  result: string | null;
  started_at: string;
  finished_at: string;
};
type Steps = { tool_calls: { name: string; result: { content: string; isError?: boolean } }[] }[];
type Memory = { id: string; user_id: string; content: string; metadata: Record<string, unknown> };
type Page = { memories: Memory[]; next_cursor: string | null };

const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  fetch(`${p.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const submit = async (headers: Record<string, string>, body: object) => {
  const res = await call('POST', '/submit', headers, body);
  expect(res.status).toBe(202);
  return (await json<{ job_id: string }>(res)).job_id;
};
const finished = async (headers: Record<string, string>, id: string) => {
  const s = await json<Status>(await call('GET', `/status/${id}?wait=20`, headers));
  expect(s.status).toBe('succeeded');
  return s;
};
/** Runs a one-tool-call job and returns the tool's result text. */
async function runTool(headers: Record<string, string>, userId: string, name: string, input: object) {
  const id = await submit(headers, {
    task: `use ${name}`,
    user_id: userId,
    tools: [name],
    script: [{ tool_calls: [{ name, input }] }, { text: 'done' }],
  });
  await finished(headers, id);
  const steps = await json<Steps>(await call('GET', `/jobs/${id}/steps`, headers));
  const result = steps[0]?.tool_calls[0];
  expect(result?.name).toBe(name);
  return result?.result.content ?? '';
}
const search = (headers: Record<string, string>, userId: string) =>
  runTool(headers, userId, 'memory_search', { query: 'metric units' });
const list = async (headers: Record<string, string>, query = '') =>
  json<Page>(await call('GET', `/memories${query}`, headers));
/** The first model request of the job with this task (its task is the last message of that request). */
const requestFor = (task: string) =>
  requests.find((r) => {
    const last = r.messages.at(-1);
    return last?.role === 'user' && last.text === task;
  });

describe('long-term memory', () => {
  let factId: string;

  it('a job saves a fact with memory_save; a later job of the same user finds it with memory_search', async () => {
    expect(await runTool(T1, 'alice', 'memory_save', { content: FACT })).toBe('Saved to long-term memory.');
    expect(await search(T1, 'alice')).toContain(FACT);
  });

  it('another user of the tenant, and the same user id in another tenant, find nothing', async () => {
    expect(await search(T1, 'bob')).toBe('No memories found.');
    expect(await search(T2, 'alice')).toBe('No memories found.');
  });

  it('GET /memories lists the tenant memories, per user, with a cursor', async () => {
    // MEMORY_SAVE_SUMMARY: a succeeded job of alice leaves a summary too (just after its final checkpoint).
    const isSummary = (m: Memory) =>
      m.metadata.source === 'job_summary' && m.content.includes('Task: use memory_save');
    const alice = await eventually(async () => {
      const page = await list(T1, '?user_id=alice');
      return page.memories.some(isSummary) ? page : undefined;
    });
    const fact = alice.memories.find((m) => m.content === FACT);
    expect(fact).toMatchObject({ user_id: 'alice', metadata: { source: 'memory_save' } });
    factId = fact?.id ?? '';
    expect(alice.memories.every((m) => m.user_id === 'alice')).toBe(true);
    expect(alice.memories.find(isSummary)?.content).toBe('Task: use memory_save\nResult: done');

    const all = await list(T1);
    expect(all.memories.map((m) => m.user_id)).toEqual(expect.arrayContaining(['alice', 'bob']));
    expect((await list(T2)).memories.some((m) => m.content === FACT)).toBe(false);

    const first = await list(T1, '?user_id=alice&limit=1');
    expect(first.memories).toHaveLength(1);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await list(T1, `?user_id=alice&limit=1&cursor=${first.next_cursor}`);
    expect(second.memories).toHaveLength(1);
    expect(second.memories[0]?.id).not.toBe(first.memories[0]?.id);
  });

  it('refuses bad query parameters with a 400 naming the field', async () => {
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=abc', 'limit'],
      ['?cursor=not-a-cursor', 'cursor'],
      ['?user=alice', 'query'],
    ] as const) {
      const res = await call('GET', `/memories${query}`, T1);
      expect(res.status).toBe(400);
      expect((await json<{ error: { message: string } }>(res)).error.message).toContain(field);
    }
    expect((await call('GET', '/memories', {})).status).toBe(401);
  });

  it('MEMORY_AUTO_RECALL puts the user memories closest to the task into the system prompt', async () => {
    const task = 'Convert 5 miles into the metric units this user likes';
    await finished(T1, await submit(T1, { task, user_id: 'alice', script: [{ text: '8 km' }] }));
    const system = requestFor(task)?.system ?? '';
    expect(system).toContain(RECALL_HEADER);
    expect(system).toContain(FACT);

    const other = 'Convert 5 miles into metric units for bob';
    await finished(T1, await submit(T1, { task: other, user_id: 'bob', script: [{ text: '8 km' }] }));
    expect(requestFor(other)).toBeDefined();
    expect(requestFor(other)?.system ?? '').not.toContain(FACT);
  });

  it('DELETE /memories/:id erases a memory of the tenant only; a later search no longer finds it', async () => {
    expect((await call('DELETE', `/memories/${factId}`, T2)).status).toBe(404);
    expect((await call('DELETE', '/memories/not-a-uuid', T1)).status).toBe(404);
    const res = await call('DELETE', `/memories/${factId}`, T1);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ id: factId, deleted: true });
    expect((await call('DELETE', `/memories/${factId}`, T1)).status).toBe(404);
    expect((await list(T1, '?user_id=alice')).memories.some((m) => m.id === factId)).toBe(false);
    expect(await search(T1, 'alice')).not.toContain(FACT);
  });
});

describe('sessions', () => {
  const turns = async (session: string) =>
    p.db.prisma.$queryRaw<{ seq: number; job_id: string; role: string; content: string }[]>`
      SELECT seq, job_id::text AS job_id, role, content FROM session_message
      WHERE tenant_id = 't1' AND session_id = ${session} ORDER BY seq`;
  /** The turns once there are `count` (a job's turn is appended just after its final checkpoint). */
  const turnsOnce = (session: string, count: number) =>
    eventually(async () => {
      const rows = await turns(session);
      return rows.length >= count ? rows : undefined;
    });

  it('two jobs of a session submitted at once run one after the other and continue one conversation', async () => {
    const first = await submit(T1, {
      task: 'session one: my name is Ada',
      session_id: 'chat-1',
      script: [{ text: 'Nice to meet you, Ada.', delay_ms: 700 }],
    });
    const second = await submit(T1, {
      task: 'session one: what is my name?',
      session_id: 'chat-1',
      script: [{ text: 'Ada.' }],
    });
    const a = await finished(T1, first);
    const b = await finished(T1, second);
    expect(Date.parse(b.started_at)).toBeGreaterThanOrEqual(Date.parse(a.finished_at));
    // The second job's model saw the first job's task and answer before its own task.
    expect(requestFor('session one: what is my name?')?.messages).toEqual([
      { role: 'user', text: 'session one: my name is Ada' },
      { role: 'assistant', text: 'Nice to meet you, Ada.', toolCalls: [] },
      { role: 'user', text: 'session one: what is my name?' },
    ]);
    expect(requestFor('session one: my name is Ada')?.messages).toHaveLength(1);
    expect((await turnsOnce('chat-1', 4)).map((t) => [t.seq, t.job_id, t.role])).toEqual([
      [1, first, 'user'],
      [2, first, 'assistant'],
      [3, second, 'user'],
      [4, second, 'assistant'],
    ]);
  });

  it('a turn not appended after the final checkpoint (worker died) is caught up before the next job', async () => {
    const lost = await submit(T1, {
      task: `session two: remember 42 ${SKIP_FINISHED}`,
      session_id: 'chat-2',
      script: [{ text: 'I will remember 42.' }],
    });
    await finished(T1, lost);
    expect(await turns('chat-2')).toEqual([]);
    const next = await submit(T1, {
      task: 'session two: which number?',
      session_id: 'chat-2',
      script: [{ text: '42' }],
    });
    await finished(T1, next);
    expect(requestFor('session two: which number?')?.messages.slice(0, 2)).toEqual([
      { role: 'user', text: `session two: remember 42 ${SKIP_FINISHED}` },
      { role: 'assistant', text: 'I will remember 42.', toolCalls: [] },
    ]);
    expect((await turnsOnce('chat-2', 4)).map((t) => t.job_id)).toEqual([lost, lost, next, next]);
  });

  it('a finished job handed out again (its worker died before finished()) appends its owed turn', async () => {
    const lost = await submit(T1, {
      task: `session three ${SKIP_FINISHED}`,
      session_id: 'chat-3',
      script: [{ text: 'three' }],
    });
    await finished(T1, lost);
    expect(await turns('chat-3')).toEqual([]);
    await p.queues.enqueueRun(lost, 't1');
    expect((await turnsOnce('chat-3', 1)).map((t) => [t.role, t.content])).toEqual([
      ['user', `session three ${SKIP_FINISHED}`],
      ['assistant', 'three'],
    ]);
  });
});
