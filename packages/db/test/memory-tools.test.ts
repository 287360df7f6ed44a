// The memory tools, recall and job summaries end to end: createMemory over the real Postgres store
// with the local embedder.
import { randomUUID } from 'node:crypto';
import type { Tool, ToolContext } from '@agentq/agent';
import {
  createMemory,
  LocalEmbedder,
  type MemoryService,
  OpenAIEmbedder,
  QdrantVectorStore,
  RECALL_HEADER,
  recallForTask,
} from '@agentq/memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresVectorStore } from '../src/memory-repo.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

describe('memory tools, recall and summaries on Postgres', () => {
  let db: TestDatabase;
  let memory: MemoryService;
  let save: Tool;
  let search: Tool;
  const ctx = (over: Partial<ToolContext> = {}): ToolContext => ({
    jobId: randomUUID(),
    tenantId: 't1',
    userId: 'alice',
    callId: 'call-1',
    idempotencyKey: randomUUID(),
    attempt: 1,
    signal: new AbortController().signal,
    ...over,
  });
  const count = (where: { tenantId?: string; userId?: string } = {}) => db.prisma.memory.count({ where });

  beforeAll(async () => {
    db = await createTestDatabase('memory_tools');
    memory = createMemory({ embedder: 'local', postgresStore: new PostgresVectorStore(db.prisma) });
    const byName = new Map(memory.tools.map((t) => [t.name, t]));
    const s = byName.get('memory_save');
    const q = byName.get('memory_search');
    if (!s || !q) throw new Error('memory tools missing');
    save = s;
    search = q;
  });
  afterAll(() => db.drop());

  it('declares two tools with their retry policies and input schemas', () => {
    expect(memory.tools.map((t) => [t.name, t.policy])).toEqual([
      ['memory_save', 'retry_with_key'],
      ['memory_search', 'safe'],
    ]);
    expect(save.inputSchema).toMatchObject({ type: 'object', required: ['content'] });
    expect(search.inputSchema).toMatchObject({ type: 'object', required: ['query'] });
    expect(memory.store.kind).toBe('postgres');
    expect(memory.embedder).toBeInstanceOf(LocalEmbedder);
  });

  it('saves a memory that a later search of the same user finds', async () => {
    const saved = await save.execute({ content: 'The user prefers metric units.' }, ctx());
    expect(saved.isError).toBeFalsy();
    await save.execute({ content: 'The user has a dog named Rex.' }, ctx());
    const found = await search.execute({ query: 'which units does the user prefer?' }, ctx());
    expect(found.isError).toBeFalsy();
    expect(found.content.split('\n')[0]).toMatch(/^1\. \[score 0\.\d{3}\] The user prefers metric units\.$/);
    const results = (found.structured as { results: { id: string; content: string; score: number }[] })
      .results;
    expect(results[0]).toMatchObject({
      id: (saved.structured as { id: string }).id,
      content: 'The user prefers metric units.',
    });
    expect(results[0]?.score).toBeGreaterThan(results[1]?.score ?? 1);
  });

  it('scopes search to the job’s tenant and user', async () => {
    await save.execute({ content: 'Bob likes sailing.' }, ctx({ userId: 'bob' }));
    for (const other of [ctx({ userId: 'carol' }), ctx({ tenantId: 't2', userId: 'bob' })]) {
      const found = await search.execute({ query: 'sailing' }, other);
      expect(found).toEqual({ content: 'No memories found.', structured: { results: [] } });
    }
    const own = await search.execute({ query: 'sailing' }, ctx({ userId: 'bob' }));
    expect(own.content).toContain('Bob likes sailing.');
  });

  it('keeps one memory when a save is retried or repeated', async () => {
    const call = ctx({ userId: 'dave' });
    const first = await save.execute({ content: 'Dave is vegetarian.' }, call);
    const retried = await save.execute({ content: 'Dave is vegetarian.' }, { ...call, attempt: 2 });
    const later = await save.execute({ content: '  Dave is  vegetarian. ' }, ctx({ userId: 'dave' }));
    expect(retried.structured).toEqual(first.structured);
    expect(later.structured).toEqual(first.structured);
    expect(await count({ tenantId: 't1', userId: 'dave' })).toBe(1);
  });

  it('records where a saved memory came from', async () => {
    const call = ctx({ userId: 'erin' });
    await save.execute({ content: 'Erin works nights.' }, call);
    const [row] = await db.prisma.memory.findMany({ where: { tenantId: 't1', userId: 'erin' } });
    expect(row?.metadata).toEqual({
      source: 'memory_save',
      jobId: call.jobId,
      idempotencyKey: call.idempotencyKey,
    });
  });

  it('tells the model that memory needs a user_id, and writes nothing', async () => {
    const before = await count();
    for (const tool of [save, search]) {
      const input = tool === save ? { content: 'x' } : { query: 'x' };
      const result = await tool.execute(input, ctx({ userId: undefined }));
      expect(result.isError).toBe(true);
      expect(result.content).toMatch(/memory needs a user_id/);
    }
    expect(await count()).toBe(before);
  });

  it('returns errors for bad input instead of throwing', async () => {
    const before = await count();
    const bad: [Tool, unknown, RegExp][] = [
      [save, {}, /"content" must be a non-empty string/],
      [save, { content: '   ' }, /"content" must be a non-empty string/],
      [save, { content: 42 }, /"content" must be a non-empty string/],
      [save, null, /"content"/],
      [save, { content: 'x'.repeat(4001) }, /longer than 4000/],
      [search, { query: '' }, /"query" must be a non-empty string/],
      [search, { query: 'x', limit: 0 }, /"limit" must be an integer from 1 to 20/],
      [search, { query: 'x', limit: 21 }, /"limit"/],
      [search, { query: 'x', limit: 1.5 }, /"limit"/],
      [search, { query: 'x', limit: '5' }, /"limit"/],
    ];
    for (const [tool, input, message] of bad) {
      const result = await tool.execute(input, ctx());
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(result.content).toMatch(message);
    }
    expect(await count()).toBe(before);
  });

  it('returns at most `limit` memories', async () => {
    const call = ctx({ userId: 'frank' });
    for (const fact of ['Frank likes tea.', 'Frank likes green tea.', 'Frank likes iced tea.']) {
      await save.execute({ content: fact }, call);
    }
    const found = await search.execute({ query: 'tea', limit: 2 }, call);
    expect((found.structured as { results: unknown[] }).results).toHaveLength(2);
    expect(found.content.split('\n')).toHaveLength(2);
  });

  it('recalls the memories closest to a task as a system-prompt block', async () => {
    const call = ctx({ userId: 'grace' });
    await save.execute({ content: 'Grace lives in Lisbon.' }, call);
    await save.execute({ content: 'Grace is allergic to peanuts.' }, call);
    await save.execute({ content: 'Grace plays the cello.' }, call);
    const block = await memory.recall({
      tenantId: 't1',
      userId: 'grace',
      task: 'Suggest a snack without peanuts',
      limit: 2,
    });
    const lines = block.split('\n');
    expect(lines[0]).toBe(RECALL_HEADER);
    expect(lines[1]).toBe('- Grace is allergic to peanuts.');
    expect(lines).toHaveLength(2); // the other memories share no word with the task: left out
    expect(await memory.recall({ tenantId: 't1', userId: undefined, task: 'peanuts', limit: 2 })).toBe('');
    expect(await memory.recall({ tenantId: 't1', userId: 'grace', task: 'peanuts', limit: 0 })).toBe('');
    expect(await memory.recall({ tenantId: 't1', userId: 'nobody', task: 'peanuts', limit: 5 })).toBe('');
    expect(await memory.recall({ tenantId: 't2', userId: 'grace', task: 'peanuts', limit: 5 })).toBe('');
  });

  it('cuts long memories in the recall block', async () => {
    await save.execute({ content: `Henry notes: ${'kayak '.repeat(200)}` }, ctx({ userId: 'henry' }));
    const block = await recallForTask({
      store: memory.store,
      embedder: memory.embedder,
      tenantId: 't1',
      userId: 'henry',
      task: 'kayak',
      limit: 1,
      maxMemoryChars: 40,
    });
    expect(block.split('\n')[1]).toHaveLength('- '.length + 40);
  });

  it('saves a finished job’s summary once, and only for a user with a result', async () => {
    const jobId = randomUUID();
    const args = {
      tenantId: 't1',
      userId: 'ivy',
      jobId,
      task: 'Convert 5 miles to km',
      result: 'About 8.05 km.',
    };
    const id = await memory.saveSummary(args);
    expect(await memory.saveSummary(args)).toBe(id);
    const rows = await db.prisma.memory.findMany({ where: { tenantId: 't1', userId: 'ivy' } });
    expect(rows.map((r) => [r.id, r.content, r.metadata])).toEqual([
      [id, 'Task: Convert 5 miles to km\nResult: About 8.05 km.', { source: 'job_summary', jobId }],
    ]);
    // Another job with the same task and answer adds nothing new either.
    const sameAgain = randomUUID();
    expect(await memory.saveSummary({ ...args, jobId: sameAgain })).toBe(id);
    const [latest] = await db.prisma.memory.findMany({ where: { tenantId: 't1', userId: 'ivy' } });
    expect(latest?.metadata).toEqual({ source: 'job_summary', jobId: sameAgain });
    expect(
      await memory.saveSummary({ ...args, jobId: randomUUID(), task: 'Convert 6 miles to km' }),
    ).not.toBe(id);
    expect(await count({ tenantId: 't1', userId: 'ivy' })).toBe(2);
    expect(await memory.saveSummary({ ...args, jobId: randomUUID(), userId: undefined })).toBeUndefined();
    expect(await memory.saveSummary({ ...args, jobId: randomUUID(), result: ' ' })).toBeUndefined();
    expect(await count({ tenantId: 't1', userId: 'ivy' })).toBe(2);
    const recalled = await memory.recall({
      tenantId: 't1',
      userId: 'ivy',
      task: 'how many km in 5 miles?',
      limit: 1,
    });
    expect(recalled).toContain('Result: About 8.05 km.');
  });
});

describe('createMemory', () => {
  const postgresStore = new PostgresVectorStore({} as never);

  it('uses Qdrant when a URL is set, else the Postgres store it is given', () => {
    expect(createMemory({ postgresStore }).store).toBe(postgresStore);
    const q = createMemory({ qdrantUrl: 'http://127.0.0.1:6333', qdrantCollection: 'c1', postgresStore });
    expect(q.store).toBeInstanceOf(QdrantVectorStore);
    expect((q.store as QdrantVectorStore).collection).toBe('c1');
    expect(() => createMemory({})).toThrow(/QDRANT_URL or a Postgres store/);
  });

  it('picks the embedder', () => {
    expect(createMemory({ postgresStore }).embedder.id).toBe('local-hash-512');
    const openai = createMemory({
      postgresStore,
      embedder: 'openai',
      openaiApiKey: 'sk',
      embeddingModel: 'text-embedding-3-large',
    });
    expect(openai.embedder).toBeInstanceOf(OpenAIEmbedder);
    expect(openai.embedder.id).toBe('openai:text-embedding-3-large');
    expect(
      createMemory({ postgresStore, embedder: 'openai', openaiBaseUrl: 'http://127.0.0.1:11434/v1' }).embedder
        .dimension,
    ).toBe(1536);
    expect(() => createMemory({ postgresStore, embedder: 'openai' })).toThrow(/OPENAI_API_KEY/);
    const own = new LocalEmbedder({ dimension: 64 });
    expect(createMemory({ postgresStore, embedder: own }).embedder).toBe(own);
  });
});
