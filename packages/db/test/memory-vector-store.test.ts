// PostgresVectorStore: the shared VectorStore contract, plus what is particular to ranking in SQL.
import { LocalEmbedder, normalize } from '@agentq/memory';
import { vectorStoreContract } from '@agentq/memory/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresVectorStore } from '../src/memory-repo.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

vectorStoreContract('postgres', async () => {
  const db = await createTestDatabase('memory_contract');
  return { store: new PostgresVectorStore(db.prisma), cleanup: () => db.drop() };
});

describe('PostgresVectorStore', () => {
  let db: TestDatabase;
  let store: PostgresVectorStore;
  beforeAll(async () => {
    db = await createTestDatabase('memory_store');
    store = new PostgresVectorStore(db.prisma);
  });
  afterAll(() => db.drop());

  it('stores unit-length vectors and JSON metadata', async () => {
    const [id] = await store.upsert([
      {
        tenantId: 't1',
        userId: 'u1',
        content: 'x',
        vector: [3, 4],
        metadata: { source: 'test', nested: { n: [1, 2] } },
      },
    ]);
    const rows = await db.prisma.memory.findMany({ where: { id: id ?? '' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.embedding[0]).toBeCloseTo(0.6, 6);
    expect(rows[0]?.embedding[1]).toBeCloseTo(0.8, 6);
    expect(rows[0]?.metadata).toEqual({ source: 'test', nested: { n: [1, 2] } });
  });

  it('leaves out memories of another dimension (another embedder) instead of comparing them', async () => {
    await store.upsert([
      { tenantId: 't2', userId: 'u1', content: 'three dims', vector: [1, 0, 0] },
      { tenantId: 't2', userId: 'u1', content: 'four dims', vector: [1, 0, 0, 0] },
    ]);
    const found = await store.query({ tenantId: 't2', userId: 'u1', vector: [1, 0, 0, 0], limit: 10 });
    expect(found.map((m) => m.content)).toEqual(['four dims']);
    expect((await store.list({ tenantId: 't2', userId: 'u1', limit: 10 })).items).toHaveLength(2);
  });

  it('ranks a few thousand memories exactly as brute-force cosine does', async () => {
    const embedder = new LocalEmbedder({ dimension: 256 });
    const topics = [
      'tea',
      'coffee',
      'berlin',
      'paris',
      'python',
      'rust',
      'cycling',
      'running',
      'jazz',
      'piano',
    ];
    const texts = Array.from({ length: 3000 }, (_, i) => {
      const a = topics[i % topics.length];
      const b = topics[(i * 7 + 3) % topics.length];
      return `note ${i}: the user mentioned ${a} and ${b} on day ${i % 97}`;
    });
    const vectors = await embedder.embed(texts);
    const memories = texts.map((content, i) => ({
      tenantId: 't3',
      userId: 'u1',
      content,
      vector: vectors[i] ?? [],
    }));
    for (let i = 0; i < memories.length; i += 500) await store.upsert(memories.slice(i, i + 500));
    // Noise from another user must not leak in, however close it is.
    await store.upsert([
      {
        tenantId: 't3',
        userId: 'u2',
        content: 'jazz piano',
        vector: (await embedder.embed(['jazz piano']))[0] ?? [],
      },
    ]);

    const [query] = await embedder.embed(['jazz piano day 5']);
    const q = normalize(query ?? []);
    const expected = memories
      .map((m) => ({
        content: m.content,
        score: normalize(m.vector).reduce((s, x, i) => s + x * (q[i] ?? 0), 0),
      }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    const started = performance.now();
    const found = await store.query({ tenantId: 't3', userId: 'u1', vector: query ?? [], limit: 10 });
    const elapsed = performance.now() - started;
    expect(found.map((m) => m.score)).toEqual(expected.map((e) => expect.closeTo(e.score, 4)));
    expect(found.every((m) => m.userId === 'u1')).toBe(true);
    // The best notes are the few with both topics on day 5 (near-ties among them may swap in float4).
    expect(found.slice(0, 3).map((m) => m.content.replace(/^note \d+: /, ''))).toEqual(
      Array(3).fill('the user mentioned jazz and piano on day 5'),
    );
    // Generous: a guard against accidentally quadratic SQL, not a benchmark.
    expect(elapsed).toBeLessThan(5_000);
  });
});
