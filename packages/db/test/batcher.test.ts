// Batcher: group commit without a timer. What leaves together, what never does, and how failures spread.
import { describe, expect, it } from 'vitest';
import { Batcher, type Settled } from '../src/batcher.ts';

/** A batcher whose batches finish only when the test says so, recording what each batch held. */
function controlled(options: { maxBatch?: number; maxInFlight?: number } = {}) {
  const batches: string[][] = [];
  const finish: (() => void)[] = [];
  const batcher = new Batcher<string, string>(
    (items) => {
      batches.push(items);
      return new Promise<Settled<string>[]>((resolve) => {
        finish.push(() => resolve(items.map((i) => ({ ok: true, value: `done ${i}` }))));
      });
    },
    {
      maxBatch: options.maxBatch ?? 10,
      ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
      key: (i) => i.split(':')[0]!,
    },
  );
  const tick = () => new Promise((r) => setImmediate(r));
  return { batcher, batches, finish, tick };
}

describe('Batcher', () => {
  it('sends the first write at once and groups the ones that arrive while it is on its way (one batch at a time by default)', async () => {
    const { batcher, batches, finish, tick } = controlled();
    const first = batcher.add('a:1');
    await tick();
    expect(batches).toEqual([['a:1']]); // nothing waited for company
    const later = ['b:1', 'c:1', 'd:1'].map((i) => batcher.add(i));
    await tick();
    expect(batches).toHaveLength(1); // the slot is taken: they wait
    finish[0]!();
    await expect(first).resolves.toBe('done a:1');
    await tick();
    expect(batches[1]).toEqual(['b:1', 'c:1', 'd:1']);
    finish[1]!();
    await expect(Promise.all(later)).resolves.toEqual(['done b:1', 'done c:1', 'done d:1']);
  });

  it('never puts two writes with the same key in one batch, and keeps their order', async () => {
    const { batcher, batches, finish, tick } = controlled();
    const results = ['x:0', 'a:1', 'a:2', 'b:1', 'a:3'].map((i) => batcher.add(i));
    await tick();
    finish[0]!();
    await tick();
    expect(batches[1]).toEqual(['a:1', 'b:1']);
    finish[1]!();
    await tick();
    expect(batches[2]).toEqual(['a:2']);
    finish[2]!();
    await tick();
    expect(batches[3]).toEqual(['a:3']);
    finish[3]!();
    await expect(Promise.all(results)).resolves.toHaveLength(5);
  });

  it('caps a batch at maxBatch and runs up to maxInFlight batches at once', async () => {
    const { batcher, batches, finish, tick } = controlled({ maxBatch: 2, maxInFlight: 2 });
    const results = ['a', 'b', 'c', 'd', 'e', 'f'].map((i) => batcher.add(i));
    await tick();
    expect(batches).toEqual([['a'], ['b']]);
    finish[0]!();
    await tick();
    expect(batches[2]).toEqual(['c', 'd']);
    finish[1]!();
    await tick();
    expect(batches[3]).toEqual(['e', 'f']);
    finish[2]!();
    finish[3]!();
    await expect(Promise.all(results)).resolves.toHaveLength(6);
  });

  it('settles each write with its own result; a batch that throws is retried write by write', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(
      async (items) => {
        batches.push(items);
        if (items.includes(13)) throw new Error(`bad batch ${items.join()}`); // 13 breaks any batch it is in
        return items.map((n) =>
          n % 2 === 0 ? { ok: true, value: n * 10 } : { ok: false, error: new Error(`odd ${n}`) },
        );
      },
      { maxBatch: 10, maxInFlight: 1, key: String },
    );
    const results = Promise.allSettled([0, 2, 13, 4, 5].map((n) => batcher.add(n)));
    const settled = await results;
    expect(settled.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))).toEqual([
      0,
      20,
      'Error: bad batch 13',
      40,
      'Error: odd 5',
    ]);
    expect(batches).toEqual([[0], [2, 13, 4, 5], [2], [13], [4], [5]]);
  });
});
