// The behaviour every VectorStore must have, run against each implementation: Postgres in
// packages/db/test/memory-vector-store.test.ts, Qdrant in qdrant-contract.test.ts (when a server runs).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentKey, InvalidCursorError, memoryId, type NewMemory, type VectorStore } from '../src/index.ts';

export interface StoreFixture {
  store: VectorStore;
  cleanup?: () => Promise<void>;
}

export interface ContractOptions {
  /** Why the suite cannot run here; it is then skipped (and reported as skipped). */
  skip?: string;
}

/** Every test uses fresh tenant ids, so one store serves the whole suite without cleanup between tests. */
export function vectorStoreContract(
  name: string,
  makeStore: () => Promise<StoreFixture>,
  options: ContractOptions = {},
) {
  const title = `VectorStore contract: ${name}${options.skip ? ` (skipped: ${options.skip})` : ''}`;
  describe.skipIf(options.skip !== undefined)(title, () => {
    let fixture: StoreFixture | undefined;
    const store = (): VectorStore => {
      if (!fixture) throw new Error('store not created');
      return fixture.store;
    };
    beforeAll(async () => {
      fixture = await makeStore();
    });
    afterAll(async () => {
      await fixture?.cleanup?.();
    });

    const tenant = () => `tenant-${randomUUID()}`;
    const mem = (
      tenantId: string,
      userId: string,
      content: string,
      vector: number[],
      extra: Partial<NewMemory> = {},
    ) => ({
      tenantId,
      userId,
      content,
      vector,
      ...extra,
    });
    const allIds = async (tenantId: string, userId?: string): Promise<string[]> => {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store().list({
          tenantId,
          limit: 100,
          ...(userId ? { userId } : {}),
          ...(cursor ? { cursor } : {}),
        });
        ids.push(...page.items.map((m) => m.id));
        cursor = page.nextCursor;
      } while (cursor);
      return ids;
    };

    it('ranks a user’s memories by cosine similarity, best first, with their fields', async () => {
      const t = tenant();
      const before = Date.now();
      const ids = await store().upsert([
        mem(t, 'u1', 'north', [0, 1, 0, 0]),
        mem(t, 'u1', 'east', [1, 0, 0, 0], { metadata: { tag: 'e', n: 1 } }),
        mem(t, 'u1', 'northeast', [3, 3, 0, 0]),
        mem(t, 'u1', 'west', [-1, 0, 0, 0]),
      ]);
      expect(ids).toEqual(
        ['north', 'east', 'northeast', 'west'].map((c) =>
          memoryId({ tenantId: t, userId: 'u1', key: contentKey(c) }),
        ),
      );
      // Not unit length on purpose: the score is cosine, whatever the vectors' lengths.
      const found = await store().query({ tenantId: t, userId: 'u1', vector: [5, 0, 0, 0], limit: 3 });
      expect(found.map((m) => m.content)).toEqual(['east', 'northeast', 'north']);
      expect(found[0]?.score).toBeCloseTo(1, 4);
      expect(found[1]?.score).toBeCloseTo(Math.SQRT1_2, 4);
      expect(found[2]?.score).toBeCloseTo(0, 4);
      const east = found[0];
      expect(east).toMatchObject({ id: ids[1], tenantId: t, userId: 'u1', metadata: { tag: 'e', n: 1 } });
      expect(east?.createdAt.getTime()).toBeGreaterThanOrEqual(before - 60_000);
      expect(east?.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
      expect(found[2]?.metadata).toEqual({});
    });

    it('keeps one copy when the same memory is written again', async () => {
      const t = tenant();
      const [first] = await store().upsert([mem(t, 'u1', 'likes tea', [1, 0, 0, 0])]);
      const [again] = await store().upsert([mem(t, 'u1', '  likes   tea ', [1, 0, 0, 0])]);
      const batch = await store().upsert([
        mem(t, 'u1', 'likes tea', [1, 0, 0, 0]),
        mem(t, 'u1', 'likes tea', [1, 0, 0, 0]),
      ]);
      expect(again).toBe(first);
      expect(batch).toEqual([first, first]);
      expect(await allIds(t, 'u1')).toEqual([first]);
    });

    it('replaces a memory written again under the same key', async () => {
      const t = tenant();
      const [a] = await store().upsert([
        mem(t, 'u1', 'favourite colour: blue', [1, 0, 0, 0], { key: 'colour' }),
      ]);
      const [b] = await store().upsert([
        mem(t, 'u1', 'favourite colour: green', [0, 1, 0, 0], { key: 'colour' }),
      ]);
      expect(b).toBe(a);
      const found = await store().query({ tenantId: t, userId: 'u1', vector: [0, 1, 0, 0], limit: 10 });
      expect(found.map((m) => [m.content, Math.round(m.score * 1000) / 1000])).toEqual([
        ['favourite colour: green', 1],
      ]);
    });

    it('isolates tenants and users', async () => {
      const t1 = tenant();
      const t2 = tenant();
      const [mine] = await store().upsert([
        mem(t1, 'u1', 'secret of u1', [1, 0, 0, 0], { metadata: { owner: 't1' } }),
      ]);
      const probe = [1, 0, 0, 0];
      expect(await store().query({ tenantId: t1, userId: 'u2', vector: probe, limit: 10 })).toEqual([]);
      expect(await store().query({ tenantId: t2, userId: 'u1', vector: probe, limit: 10 })).toEqual([]);
      expect(await allIds(t2)).toEqual([]);
      expect(await allIds(t1, 'u2')).toEqual([]);
      // The same text for another owner is another memory, and leaves the first one alone.
      const [theirs] = await store().upsert([
        mem(t2, 'u1', 'secret of u1', [0, 1, 0, 0], { metadata: { owner: 't2' } }),
      ]);
      expect(theirs).not.toBe(mine);
      const still = await store().query({ tenantId: t1, userId: 'u1', vector: probe, limit: 10 });
      expect(still.map((m) => [m.id, m.metadata.owner])).toEqual([[mine, 't1']]);
    });

    it('lists a user’s memories page by page, and a tenant’s across users', async () => {
      const t = tenant();
      const u1 = await store().upsert(
        Array.from({ length: 7 }, (_, i) => mem(t, 'u1', `fact ${i}`, [1, i, 0, 0])),
      );
      const u2 = await store().upsert([
        mem(t, 'u2', 'other user a', [1, 0, 0, 0]),
        mem(t, 'u2', 'other user b', [1, 0, 0, 0]),
      ]);
      await store().upsert([mem(tenant(), 'u1', 'other tenant', [1, 0, 0, 0])]);

      const sizes: number[] = [];
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store().list({
          tenantId: t,
          userId: 'u1',
          limit: 3,
          ...(cursor ? { cursor } : {}),
        });
        sizes.push(page.items.length);
        seen.push(...page.items.map((m) => m.id));
        expect(page.items.every((m) => m.tenantId === t && m.userId === 'u1')).toBe(true);
        cursor = page.nextCursor;
      } while (cursor && sizes.length < 10);
      expect(sizes).toEqual([3, 3, 1]);
      expect([...seen].sort()).toEqual([...u1].sort());

      const tenantWide = await store().list({ tenantId: t, limit: 100 });
      expect(tenantWide.nextCursor).toBeUndefined();
      expect(tenantWide.items.map((m) => m.id).sort()).toEqual([...u1, ...u2].sort());
      expect(tenantWide.items.find((m) => m.content === 'fact 3')).toMatchObject({
        userId: 'u1',
        tenantId: t,
      });
    });

    it('rejects a cursor it did not make', async () => {
      await expect(
        store().list({ tenantId: tenant(), limit: 5, cursor: 'not-a-cursor' }),
      ).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('deletes only within the tenant', async () => {
      const t = tenant();
      const [id, keep] = await store().upsert([
        mem(t, 'u1', 'to delete', [1, 0, 0, 0]),
        mem(t, 'u1', 'to keep', [1, 1, 0, 0]),
      ]);
      if (!id || !keep) throw new Error('upsert returned no ids');
      expect(await store().delete({ tenantId: tenant(), id })).toBe(false);
      expect((await allIds(t, 'u1')).sort()).toEqual([id, keep].sort());
      expect(await store().delete({ tenantId: t, id })).toBe(true);
      expect(await allIds(t, 'u1')).toEqual([keep]);
      const found = await store().query({ tenantId: t, userId: 'u1', vector: [1, 0, 0, 0], limit: 10 });
      expect(found.map((m) => m.id)).toEqual([keep]);
      expect(await store().delete({ tenantId: t, id })).toBe(false);
      expect(await store().delete({ tenantId: t, id: 'not-a-uuid' })).toBe(false);
    });

    it('answers empty for an owner without memories', async () => {
      const t = tenant();
      expect(await store().query({ tenantId: t, userId: 'nobody', vector: [1, 0, 0, 0], limit: 5 })).toEqual(
        [],
      );
      expect(await store().list({ tenantId: t, userId: 'nobody', limit: 5 })).toEqual({ items: [] });
    });

    it('refuses memories without content, owner or a usable vector', async () => {
      const t = tenant();
      expect(await store().upsert([])).toEqual([]);
      await expect(store().upsert([mem(t, 'u1', '  ', [1, 0, 0, 0])])).rejects.toThrow(/content/);
      await expect(store().upsert([mem(t, '', 'x', [1, 0, 0, 0])])).rejects.toThrow(/userId/);
      await expect(store().upsert([mem(t, 'u1', 'x', [])])).rejects.toThrow(/vector/);
      await expect(store().upsert([mem(t, 'u1', 'x', [1, Number.NaN, 0, 0])])).rejects.toThrow(/finite/);
      expect(await allIds(t)).toEqual([]);
    });
  });
}
