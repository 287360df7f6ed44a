// Turns text into vectors for the vector store. Stores compare vectors by cosine similarity, so an
// embedder's vectors need not be normalized, but all vectors of one store must come from one embedder.

export interface Embedder {
  /** Names the embedding space, e.g. "local-hash-512" or "openai:text-embedding-3-small". */
  readonly id: string;
  /** Length of the vectors, when known before the first call (OpenAI-compatible models may not say). */
  readonly dimension: number | undefined;
  /** One vector per text, in order. */
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

export async function embedOne(embedder: Embedder, text: string, signal?: AbortSignal): Promise<number[]> {
  const [vector] = await embedder.embed([text], signal);
  if (!vector) throw new Error(`embedder ${embedder.id} returned no vector`);
  return vector;
}
