import { describe, expect, it } from 'vitest';
import { cosine, LocalEmbedder, norm, tokens } from '../src/index.ts';

describe('LocalEmbedder (lexical feature hashing)', () => {
  const embedder = new LocalEmbedder();
  const sim = async (a: string, b: string) => {
    const [x, y] = await embedder.embed([a, b]);
    return cosine(x ?? [], y ?? []);
  };

  it('gives unit vectors of its dimension, the same on every instance', async () => {
    const [v] = await embedder.embed(['The user prefers metric units']);
    expect(v).toHaveLength(512);
    expect(norm(v ?? [])).toBeCloseTo(1, 10);
    const [again] = await new LocalEmbedder().embed(['The user prefers metric units']);
    expect(again).toEqual(v);
    const [small] = await new LocalEmbedder({ dimension: 64 }).embed(['x y z']);
    expect(small).toHaveLength(64);
    expect(new LocalEmbedder({ dimension: 64 }).id).toBe('local-hash-64');
  });

  it('ranks shared words and spelling variants above unrelated text', async () => {
    const memory = "The user's favourite colour is blue";
    const related = await sim(memory, 'What is my favorite color?');
    const unrelated = await sim(memory, 'Deploy the kubernetes cluster to production');
    expect(related).toBeGreaterThan(0.15);
    expect(related).toBeGreaterThan(unrelated + 0.15);
    expect(Math.abs(unrelated)).toBeLessThan(0.1);
    expect(await sim('cluster deployment failed', 'the deployment of the cluster')).toBeGreaterThan(0.5);
  });

  it('is lexical, not semantic: synonyms without shared letters do not match', async () => {
    expect(Math.abs(await sim('car', 'automobile'))).toBeLessThan(0.1);
  });

  it('ignores case, accents and punctuation', async () => {
    expect(await sim('Café CRÈME!', 'cafe creme')).toBeCloseTo(1, 10);
  });

  it('drops stop words unless nothing else is left, and joins words at apostrophes', () => {
    expect(tokens("The user's dog doesn't bark")).toEqual(['users', 'dog', 'doesnt', 'bark']);
    expect(tokens('What is the capital of France?')).toEqual(['capital', 'france']);
    expect(tokens('what is it')).toEqual(['what', 'is', 'it']);
  });

  it('embeds text without words as a zero vector (it matches nothing)', async () => {
    const [v] = await embedder.embed(['?!  …']);
    expect(v).toHaveLength(512);
    expect(v?.every((x) => x === 0)).toBe(true);
  });

  it('refuses a useless dimension', () => {
    expect(() => new LocalEmbedder({ dimension: 4 })).toThrow(RangeError);
  });
});
