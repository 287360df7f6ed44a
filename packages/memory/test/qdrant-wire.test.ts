// QdrantVectorStore on the wire: the real @qdrant/js-client-rest against a local server speaking
// Qdrant's REST format (support/fake-qdrant.ts), asserting what the store sends.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contentKey, memoryId, QdrantVectorStore } from '../src/index.ts';
import { type FakeQdrant, startFakeQdrant } from './support/fake-qdrant.ts';

describe('QdrantVectorStore wire behaviour', () => {
  let qdrant: FakeQdrant;
  let store: QdrantVectorStore;
  const collection = 'agentq_memory_test';
  const calls = () => qdrant.requests.map((r) => `${r.method} ${r.path}`);
  const path = (rest: string) => `/collections/${collection}${rest}`;
  const ownerMust = (tenantId: string, userId: string) => [
    { key: 'tenant_id', match: { value: tenantId } },
    { key: 'user_id', match: { value: userId } },
  ];

  beforeEach(async () => {
    qdrant = await startFakeQdrant();
    store = new QdrantVectorStore({ url: qdrant.url, collection });
  });
  afterEach(async () => {
    await qdrant.close();
  });

  it('creates the collection on first write: embedder size, cosine, tenant and user payload indexes', async () => {
    // The client warns about an API key over http; that is what this local test does on purpose.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    store = new QdrantVectorStore({ url: qdrant.url, apiKey: 'qd-key', collection });
    warn.mockRestore();
    const ids = await store.upsert([
      { tenantId: 't1', userId: 'u1', content: 'likes tea', vector: [1, 0, 0], metadata: { a: 1 } },
    ]);
    expect(calls()).toEqual([
      `GET ${path('/exists')}`,
      `PUT ${path('')}`,
      `GET ${path('')}`,
      `PUT ${path('/index')}`,
      `PUT ${path('/index')}`,
      `PUT ${path('/points')}`,
    ]);
    const [, create, , tenantIndex, userIndex, upsert] = qdrant.requests;
    expect(create?.body).toEqual({ vectors: { size: 3, distance: 'Cosine' } });
    expect(tenantIndex?.body).toEqual({
      field_name: 'tenant_id',
      field_schema: { type: 'keyword', is_tenant: true },
    });
    expect(userIndex?.body).toEqual({ field_name: 'user_id', field_schema: 'keyword' });
    expect(upsert?.query.get('wait')).toBe('true');
    const expectedId = memoryId({ tenantId: 't1', userId: 'u1', key: contentKey('likes tea') });
    expect(ids).toEqual([expectedId]);
    expect(upsert?.body.points).toEqual([
      {
        id: expectedId,
        vector: [1, 0, 0],
        payload: {
          tenant_id: 't1',
          user_id: 'u1',
          content: 'likes tea',
          metadata: { a: 1 },
          created_at: expect.any(String),
        },
      },
    ]);
    expect(qdrant.requests.every((r) => r.headers['api-key'] === 'qd-key')).toBe(true);
  });

  it('checks the collection once, and a retried write sends the same point id', async () => {
    const memory = { tenantId: 't1', userId: 'u1', content: 'likes tea', vector: [1, 0, 0] };
    await store.upsert([memory]);
    qdrant.requests.length = 0;
    await store.upsert([memory]);
    expect(calls()).toEqual([`PUT ${path('/points')}`]);
    expect(qdrant.collections.get(collection)?.points.size).toBe(1);
  });

  it('queries with a must-filter on tenant_id and user_id and maps the scored points', async () => {
    await store.upsert([
      { tenantId: 't1', userId: 'u1', content: 'east', vector: [1, 0, 0] },
      { tenantId: 't1', userId: 'u1', content: 'north', vector: [0, 1, 0] },
      { tenantId: 't1', userId: 'u2', content: 'east of u2', vector: [1, 0, 0] },
    ]);
    qdrant.requests.length = 0;
    const found = await store.query({ tenantId: 't1', userId: 'u1', vector: [1, 0.1, 0], limit: 7 });
    expect(calls()).toEqual([`POST ${path('/points/query')}`]);
    expect(qdrant.requests[0]?.body).toEqual({
      query: [1, 0.1, 0],
      filter: { must: ownerMust('t1', 'u1') },
      limit: 7,
      with_payload: true,
    });
    expect(found.map((m) => m.content)).toEqual(['east', 'north']);
    expect(found[0]).toMatchObject({ tenantId: 't1', userId: 'u1', metadata: {} });
    expect(found[0]?.score).toBeGreaterThan(found[1]?.score ?? 1);
    expect(found[0]?.createdAt).toBeInstanceOf(Date);
    expect(Number.isNaN(found[0]?.createdAt.getTime())).toBe(false);
  });

  it('lists with scroll: owner filter, page size, and the next page offset as cursor', async () => {
    await store.upsert(
      Array.from({ length: 5 }, (_, i) => ({
        tenantId: 't1',
        userId: 'u1',
        content: `m${i}`,
        vector: [1, i, 0],
      })),
    );
    qdrant.requests.length = 0;
    const first = await store.list({ tenantId: 't1', userId: 'u1', limit: 3 });
    const second = await store.list({
      tenantId: 't1',
      userId: 'u1',
      limit: 3,
      ...(first.nextCursor ? { cursor: first.nextCursor } : {}),
    });
    const tenantWide = await store.list({ tenantId: 't1', limit: 10 });
    expect(tenantWide.items).toHaveLength(5);
    expect(calls()).toEqual([
      `POST ${path('/points/scroll')}`,
      `POST ${path('/points/scroll')}`,
      `POST ${path('/points/scroll')}`,
    ]);
    const [a, b, c] = qdrant.requests;
    expect(a?.body).toEqual({
      filter: { must: ownerMust('t1', 'u1') },
      limit: 3,
      with_payload: true,
      with_vector: false,
    });
    expect(b?.body.offset).toBe(first.nextCursor);
    expect(c?.body.filter).toEqual({ must: [{ key: 'tenant_id', match: { value: 't1' } }] });
    expect(first.items).toHaveLength(3);
    expect(second.items).toHaveLength(2);
    expect(second.nextCursor).toBeUndefined();
    expect(new Set([...first.items, ...second.items].map((m) => m.id)).size).toBe(5);
  });

  it('deletes through a filter on the id and the tenant, and only when the tenant has it', async () => {
    const [id] = await store.upsert([{ tenantId: 't1', userId: 'u1', content: 'x', vector: [1, 0, 0] }]);
    if (!id) throw new Error('no id');
    qdrant.requests.length = 0;
    expect(await store.delete({ tenantId: 't2', id })).toBe(false);
    expect(calls()).toEqual([`POST ${path('/points/count')}`]);
    expect(qdrant.requests[0]?.body).toEqual({
      filter: { must: [{ has_id: [id] }, { key: 'tenant_id', match: { value: 't2' } }] },
      exact: true,
    });
    qdrant.requests.length = 0;
    expect(await store.delete({ tenantId: 't1', id })).toBe(true);
    expect(calls()).toEqual([`POST ${path('/points/count')}`, `POST ${path('/points/delete')}`]);
    expect(qdrant.requests[1]?.body).toEqual({
      filter: { must: [{ has_id: [id] }, { key: 'tenant_id', match: { value: 't1' } }] },
    });
    expect(qdrant.requests[1]?.query.get('wait')).toBe('true');
    expect(qdrant.collections.get(collection)?.points.size).toBe(0);
  });

  it('answers reads on a missing collection without creating it', async () => {
    expect(await store.list({ tenantId: 't1', userId: 'u1', limit: 5 })).toEqual({ items: [] });
    expect(
      await store.delete({ tenantId: 't1', id: memoryId({ tenantId: 't1', userId: 'u1', key: 'k' }) }),
    ).toBe(false);
    expect(calls()).toEqual([`GET ${path('/exists')}`, `GET ${path('/exists')}`]);
    expect(qdrant.collections.has(collection)).toBe(false);
  });

  it('refuses vectors of another size than the existing collection', async () => {
    const other = new QdrantVectorStore({ url: qdrant.url, collection });
    await other.upsert([
      { tenantId: 't1', userId: 'u1', content: 'eight', vector: [1, 0, 0, 0, 0, 0, 0, 0] },
    ]);
    qdrant.requests.length = 0;
    await expect(
      store.upsert([{ tenantId: 't1', userId: 'u1', content: 'three', vector: [1, 0, 0] }]),
    ).rejects.toThrow(/holds 8-dimensional vectors but the embedder gives 3/);
    expect(calls()).not.toContain(`PUT ${path('/points')}`);
  });

  it('carries on when another process created the collection first', async () => {
    qdrant.raceOnCreate = true;
    await store.upsert([{ tenantId: 't1', userId: 'u1', content: 'x', vector: [1, 0, 0] }]);
    expect(qdrant.collections.get(collection)?.points.size).toBe(1);
    expect(calls().filter((c) => c === `GET ${path('/exists')}`)).toHaveLength(2);
  });
});
