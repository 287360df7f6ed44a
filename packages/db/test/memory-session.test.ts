// Session history: PostgresSessionLog (durable) and SessionHistory (Redis hot copy over it), on a real
// Postgres and a real Redis.
import { randomUUID } from 'node:crypto';
import type { Message } from '@agentq/agent';
import { SessionHistory } from '@agentq/memory';
import { testRedis } from '@agentq/memory/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionLog } from '../src/memory-repo.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

describe('session history', () => {
  const { redis, prefix, cleanup } = testRedis('memory-session');
  let db: TestDatabase;
  let log: PostgresSessionLog;
  let history: SessionHistory;
  let n = 0;
  const session = () => `session-${++n}`;
  const listKey = (tenantId: string, sessionId: string) => `${prefix}session:{${tenantId}:${sessionId}}`;
  const turnPair = (task: string, answer: string) => [
    { role: 'user' as const, text: task },
    { role: 'assistant' as const, text: answer },
  ];
  const rows = (tenantId: string, sessionId: string) =>
    db.prisma.sessionMessage.findMany({ where: { tenantId, sessionId }, orderBy: { seq: 'asc' } });
  const texts = (messages: Message[]) => messages.map((m) => (m.role === 'tool' ? '' : m.text));
  const hot = async (tenantId: string, sessionId: string) =>
    (await redis.lrange(listKey(tenantId, sessionId), 0, -1)).map(
      (s) => JSON.parse(s) as { seq: number; text: string },
    );

  beforeAll(async () => {
    db = await createTestDatabase('memory_session');
    log = new PostgresSessionLog(db.prisma);
    history = new SessionHistory({ redis, log, ttlSeconds: 60, keyPrefix: prefix });
  });
  afterAll(async () => {
    await db.drop();
    await cleanup();
  });

  it('starts empty, then returns each job’s task and answer as conversation turns', async () => {
    const s = session();
    expect(await history.load('t1', s)).toEqual([]);
    const job1 = randomUUID();
    const job2 = randomUUID();
    expect(await history.append('t1', s, job1, turnPair('What is 2+2?', '4'))).toBe(true);
    expect(await history.append('t1', s, job2, turnPair('And times 3?', '12'))).toBe(true);
    expect(await history.load('t1', s)).toEqual([
      { role: 'user', text: 'What is 2+2?' },
      { role: 'assistant', text: '4', toolCalls: [] },
      { role: 'user', text: 'And times 3?' },
      { role: 'assistant', text: '12', toolCalls: [] },
    ]);
    expect((await rows('t1', s)).map((r) => [r.seq, r.jobId, r.role, r.content])).toEqual([
      [1, job1, 'user', 'What is 2+2?'],
      [2, job1, 'assistant', '4'],
      [3, job2, 'user', 'And times 3?'],
      [4, job2, 'assistant', '12'],
    ]);
    expect((await hot('t1', s)).map((t) => t.seq)).toEqual([1, 2, 3, 4]);
  });

  it('appends a retried job’s turns once', async () => {
    const s = session();
    const job = randomUUID();
    expect(await history.append('t1', s, job, turnPair('task', 'answer'))).toBe(true);
    expect(await history.append('t1', s, job, turnPair('task', 'answer'))).toBe(false);
    expect(await rows('t1', s)).toHaveLength(2);
    expect(await hot('t1', s)).toHaveLength(2);
    expect(await history.load('t1', s)).toHaveLength(2);
  });

  it('keeps tenants apart even for the same session id', async () => {
    const s = session();
    await history.append('t1', s, randomUUID(), turnPair('mine', 'yes'));
    expect(await history.load('t2', s)).toEqual([]);
  });

  it('reloads from Postgres on a Redis miss and warms Redis again', async () => {
    const s = session();
    await history.append('t1', s, randomUUID(), turnPair('a', 'b'));
    await history.append('t1', s, randomUUID(), turnPair('c', 'd'));
    await redis.del(listKey('t1', s));
    expect(texts(await history.load('t1', s))).toEqual(['a', 'b', 'c', 'd']);
    expect((await hot('t1', s)).map((t) => t.text)).toEqual(['a', 'b', 'c', 'd']);
    // Served from Redis now: a row changed behind its back is not seen until the hot copy goes.
    await db.prisma.sessionMessage.updateMany({
      where: { tenantId: 't1', sessionId: s, seq: 1 },
      data: { content: 'changed' },
    });
    expect(texts(await history.load('t1', s))[0]).toBe('a');
  });

  it('sets the TTL on write and refreshes it on every read', async () => {
    const s = session();
    await history.append('t1', s, randomUUID(), turnPair('a', 'b'));
    const key = listKey('t1', s);
    expect(await redis.pttl(key)).toBeGreaterThan(50_000);
    await redis.pexpire(key, 5_000);
    await redis.pexpire(`${key}:head`, 5_000);
    await history.load('t1', s);
    expect(await redis.pttl(key)).toBeGreaterThan(50_000);
    expect(await redis.pttl(`${key}:head`)).toBeGreaterThan(50_000);
  });

  it('drops a hot copy that missed a turn instead of serving a gap', async () => {
    const s = session();
    await history.append('t1', s, randomUUID(), turnPair('a', 'b'));
    // Written to Postgres only, as if the process died before updating Redis.
    await log.append('t1', s, randomUUID(), turnPair('c', 'd'));
    await history.append('t1', s, randomUUID(), turnPair('e', 'f'));
    expect(await redis.exists(listKey('t1', s))).toBe(0);
    expect(texts(await history.load('t1', s))).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('does not re-warm Redis from a Postgres read that a newer append has overtaken', async () => {
    const s = session();
    await history.append('t1', s, randomUUID(), turnPair('a', 'b'));
    await redis.del(listKey('t1', s));
    // An append of seqs 3-4 landed (head = 4) after this load's Postgres read returned seqs 1-2.
    await redis.set(`${listKey('t1', s)}:head`, 4, 'PX', 60_000);
    expect(texts(await history.load('t1', s))).toEqual(['a', 'b']);
    expect(await redis.exists(listKey('t1', s))).toBe(0);
  });

  it('rebuilds an unreadable hot copy from Postgres', async () => {
    const s = session();
    await history.append('t1', s, randomUUID(), turnPair('a', 'b'));
    await redis.rpush(listKey('t1', s), 'not json');
    expect(texts(await history.load('t1', s))).toEqual(['a', 'b']);
    expect(await hot('t1', s)).toHaveLength(2);
    // An append onto an unreadable tail drops the hot copy rather than failing the job.
    await redis.rpush(listKey('t1', s), '{"broken"');
    expect(await history.append('t1', s, randomUUID(), turnPair('c', 'd'))).toBe(true);
    expect(texts(await history.load('t1', s))).toEqual(['a', 'b', 'c', 'd']);
    expect((await hot('t1', s)).map((t) => t.seq)).toEqual([1, 2, 3, 4]);
  });

  it('keeps only the last maxTurns turns', async () => {
    const short = new SessionHistory({ redis, log, ttlSeconds: 60, keyPrefix: prefix, maxTurns: 3 });
    const s = session();
    for (const x of ['1', '2', '3']) await short.append('t1', s, randomUUID(), turnPair(`q${x}`, `a${x}`));
    expect(texts(await short.load('t1', s))).toEqual(['a2', 'q3', 'a3']);
    await redis.del(listKey('t1', s));
    expect(texts(await short.load('t1', s))).toEqual(['a2', 'q3', 'a3']);
    expect(await rows('t1', s)).toHaveLength(6);
  });

  it('refuses turns that are not user or assistant text', async () => {
    const bad = [{ role: 'tool', text: 'x' }] as unknown as Parameters<SessionHistory['append']>[3];
    await expect(history.append('t1', session(), randomUUID(), bad)).rejects.toThrow(TypeError);
  });
});

describe('PostgresSessionLog under concurrency', () => {
  let db: TestDatabase;
  let log: PostgresSessionLog;
  beforeAll(async () => {
    db = await createTestDatabase('memory_session_log');
    log = new PostgresSessionLog(db.prisma);
  });
  afterAll(() => db.drop());

  it('gives concurrent jobs dense, non-interleaved seqs', async () => {
    const jobs = Array.from({ length: 6 }, () => randomUUID());
    const results = await Promise.all(
      jobs.map((job, i) =>
        log.append('t1', 's', job, [
          { role: 'user', text: `q${i}` },
          { role: 'assistant', text: `a${i}` },
        ]),
      ),
    );
    expect(results.every((r) => r.appended)).toBe(true);
    const turns = await log.load('t1', 's', 100);
    expect(turns.map((t) => t.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    for (let i = 0; i < 12; i += 2) {
      expect(turns[i]?.jobId).toBe(turns[i + 1]?.jobId);
      expect([turns[i]?.role, turns[i + 1]?.role]).toEqual(['user', 'assistant']);
    }
  });

  it('writes a job’s turns once even when its retries race', async () => {
    const job = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => log.append('t1', 'race', job, [{ role: 'user', text: 'only once' }])),
    );
    expect(results.filter((r) => r.appended)).toHaveLength(1);
    expect(results.map((r) => r.turns)).toEqual(
      Array(4).fill([{ seq: 1, jobId: job, role: 'user', text: 'only once' }]),
    );
    expect(await log.load('t1', 'race', 100)).toHaveLength(1);
  });

  it('loads the last turns in order', async () => {
    for (let i = 0; i < 5; i++)
      await log.append('t1', 'tail', randomUUID(), [{ role: 'user', text: `${i}` }]);
    expect((await log.load('t1', 'tail', 2)).map((t) => [t.seq, t.text])).toEqual([
      [4, '3'],
      [5, '4'],
    ]);
  });
});
