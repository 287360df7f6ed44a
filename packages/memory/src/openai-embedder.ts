// Semantic embeddings from OpenAI or any server speaking its /v1/embeddings format (vLLM, Ollama,
// LM Studio, LiteLLM…), through the official SDK.
import OpenAI from 'openai';
import type { Embedder } from './embedder.ts';
import { assertVector } from './vector-math.ts';

/** Native vector lengths of OpenAI's models; other servers' models are learned from their answers. */
const KNOWN_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

export interface OpenAIEmbedderOptions {
  /** Required by OpenAI; compatible servers often accept anything. */
  apiKey?: string;
  /** e.g. http://localhost:11434/v1; default OpenAI's. */
  baseURL?: string;
  model?: string;
  /** Shortened vectors (text-embedding-3-* only). */
  dimensions?: number;
  /** Texts per request (OpenAI accepts up to 2048 inputs per request). */
  batchSize?: number;
  timeoutMs?: number;
  maxRetries?: number;
  /** A ready client (tests, custom fetch); the options above are then ignored. */
  client?: OpenAI;
}

export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number | undefined;
  private readonly client: OpenAI;
  private readonly model: string;
  private readonly dimensions: number | undefined;
  private readonly batchSize: number;

  constructor(options: OpenAIEmbedderOptions = {}) {
    this.model = options.model ?? 'text-embedding-3-small';
    this.dimensions = options.dimensions;
    this.dimension = options.dimensions ?? KNOWN_DIMENSIONS[this.model];
    this.id = `openai:${this.model}${options.dimensions ? `:${options.dimensions}` : ''}`;
    this.batchSize = Math.max(1, Math.min(2048, options.batchSize ?? 256));
    // Every option the SDK would otherwise read from process.env is passed explicitly: configuration
    // comes from @agentq/config only.
    this.client =
      options.client ??
      new OpenAI({
        apiKey: options.apiKey ?? 'unused',
        baseURL: options.baseURL ?? 'https://api.openai.com/v1',
        organization: null,
        project: null,
        webhookSecret: null,
        adminAPIKey: null,
        timeout: options.timeoutMs ?? 30_000,
        maxRetries: options.maxRetries ?? 2,
      });
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      vectors.push(...(await this.embedBatch(texts.slice(start, start + this.batchSize), signal)));
    }
    return vectors;
  }

  private async embedBatch(input: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    const response = await this.client.embeddings.create(
      {
        model: this.model,
        input,
        // Ask for plain floats: left unset, the SDK asks for base64 and decodes it, which breaks on
        // compatible servers that ignore encoding_format and answer with floats anyway.
        encoding_format: 'float',
        ...(this.dimensions ? { dimensions: this.dimensions } : {}),
      },
      signal ? { signal } : {},
    );
    // Each item carries its input's index; order by it rather than trusting the array order.
    const byIndex = new Map(response.data.map((item) => [item.index, item.embedding]));
    return input.map((_, i) => {
      const vector = byIndex.get(i);
      if (!vector) throw new Error(`embeddings response has no vector for input ${i} of ${input.length}`);
      assertVector(vector, `embedding ${i}`);
      if (this.dimension !== undefined && vector.length !== this.dimension) {
        throw new Error(
          `${this.id} returned ${vector.length}-dimensional vectors, expected ${this.dimension}`,
        );
      }
      return vector;
    });
  }
}
