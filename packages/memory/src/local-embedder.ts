// An embedder that needs no network and no model weights: feature hashing of words and character
// trigrams into a fixed number of buckets, L2-normalized.
//
// Be honest about what this is: LEXICAL similarity, not semantic. "favourite colour" finds "favorite
// color" (shared trigrams) and "deploy the cluster" finds "cluster deployment", but "car" will never
// find "automobile". It exists so memory works out of the box and in tests; use EMBEDDER=openai (or any
// OpenAI-compatible embeddings server) for meaning-based recall.
import type { Embedder } from './embedder.ts';
import { normalize } from './vector-math.ts';

/** Words that carry no topic; without this, "what is the …" questions match every "the". */
const STOP_WORDS = new Set(
  (
    'a an and are as at be but by can do does for from had has have how i if in into is it its me my of on ' +
    'or our so than that the their them then there these they this to was we were what when where which who ' +
    'why will with you your'
  ).split(' '),
);

/**
 * A word adds itself (weight 1) and its trigrams, scaled so the trigrams together also have length 1:
 * an exact word match counts fully, a spelling variant ("colour"/"color") about half.
 */
const WORD_WEIGHT = 1;

export interface LocalEmbedderOptions {
  /** Number of hash buckets (vector length). */
  dimension?: number;
}

export class LocalEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;

  constructor(options: LocalEmbedderOptions = {}) {
    const dimension = options.dimension ?? 512;
    if (!Number.isInteger(dimension) || dimension < 16)
      throw new RangeError('dimension must be an integer ≥ 16');
    this.dimension = dimension;
    this.id = `local-hash-${dimension}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.embedText(text));
  }

  embedText(text: string): number[] {
    const vector = new Array<number>(this.dimension).fill(0);
    for (const word of tokens(text)) {
      this.add(vector, `w:${word}`, WORD_WEIGHT);
      const grams = trigrams(word);
      const gramWeight = 1 / Math.sqrt(grams.length);
      for (const gram of grams) this.add(vector, `g:${gram}`, gramWeight);
    }
    return normalize(vector);
  }

  /** Signed hashing: a second hash picks +/-, so colliding features cancel on average instead of adding up. */
  private add(vector: number[], feature: string, weight: number): void {
    const h = fnv1a(feature);
    const bucket = h % this.dimension;
    const sign = mix(h) >>> 31 ? 1 : -1;
    vector[bucket] = (vector[bucket] ?? 0) + sign * weight;
  }
}

/** Lower-cased words without accents; stop words dropped unless nothing else is left. */
export function tokens(text: string): string[] {
  const words =
    text
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      // "user's" → "users", "don't" → "dont": no stray one-letter words.
      .replace(/['’]/g, '')
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const content = words.filter((w) => !STOP_WORDS.has(w));
  return content.length > 0 ? content : words;
}

function trigrams(word: string): string[] {
  const padded = `^${word}$`;
  const grams: string[] = [];
  for (let i = 0; i + 3 <= padded.length; i++) grams.push(padded.slice(i, i + 3));
  return grams;
}

/** 32-bit FNV-1a: tiny, fast and stable across processes and versions (unlike any seeded hash). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Re-mixes the hash (murmur3 finalizer) so the sign bit is independent of the bucket (the low bits). */
function mix(h: number): number {
  let x = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
