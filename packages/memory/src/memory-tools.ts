// The tools through which a model reads and writes its user's long-term memory. Both are scoped to
// the job's tenant and user, never to anything the model says: a model cannot reach another user.
import type { Tool, ToolContext, ToolResult } from '@agentq/agent';
import { type Embedder, embedOne } from './embedder.ts';
import { contentKey } from './ids.ts';
import type { VectorStore } from './vector-store.ts';

export interface MemoryToolsOptions {
  store: VectorStore;
  embedder: Embedder;
  /** Longest memory the model may save (characters). */
  maxContentChars?: number;
}

const DEFAULT_MAX_CONTENT = 4000;
const DEFAULT_SEARCH_LIMIT = 5;
const MAX_SEARCH_LIMIT = 20;

const NO_USER: ToolResult = {
  content:
    'Memory is unavailable for this job: memory needs a user_id, and this job was submitted without one.',
  isError: true,
};

const invalid = (message: string): ToolResult => ({ content: `Invalid input: ${message}`, isError: true });

export function createMemoryTools(options: MemoryToolsOptions): Tool[] {
  return [memorySaveTool(options), memorySearchTool(options)];
}

export function memorySaveTool({
  store,
  embedder,
  maxContentChars = DEFAULT_MAX_CONTENT,
}: MemoryToolsOptions): Tool {
  return {
    name: 'memory_save',
    description:
      'Save a fact about the user or their preferences to long-term memory, so later jobs of the same user can ' +
      'find it with memory_search. Save one self-contained statement per call, e.g. "The user prefers metric units."',
    inputSchema: {
      type: 'object',
      properties: {
        content: {
          type: 'string',
          description: 'The fact to remember, self-contained.',
          maxLength: maxContentChars,
        },
      },
      required: ['content'],
      additionalProperties: false,
    },
    // Re-running is safe: the memory's id is derived from its owner and content, so a repeated call
    // (or the same fact saved again) rewrites one memory instead of adding a copy.
    policy: 'retry_with_key',
    async execute(input: unknown, ctx: ToolContext): Promise<ToolResult> {
      if (!ctx.userId) return NO_USER;
      const content = field(input, 'content');
      if (typeof content !== 'string' || content.trim() === '')
        return invalid('"content" must be a non-empty string');
      if (content.length > maxContentChars)
        return invalid(`"content" is longer than ${maxContentChars} characters`);
      const text = content.trim();
      const vector = await embedOne(embedder, text, ctx.signal);
      const [id] = await store.upsert([
        {
          tenantId: ctx.tenantId,
          userId: ctx.userId,
          content: text,
          vector,
          key: contentKey(text),
          metadata: { source: 'memory_save', jobId: ctx.jobId, idempotencyKey: ctx.idempotencyKey },
        },
      ]);
      return { content: 'Saved to long-term memory.', structured: { id } };
    },
  };
}

export function memorySearchTool({ store, embedder }: MemoryToolsOptions): Tool {
  return {
    name: 'memory_search',
    description:
      "Search the user's long-term memory (facts saved by earlier jobs with memory_save). Returns the closest " +
      'memories with a similarity score; an empty result means nothing relevant was saved.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'What to look for.' },
        limit: { type: 'integer', minimum: 1, maximum: MAX_SEARCH_LIMIT, default: DEFAULT_SEARCH_LIMIT },
      },
      required: ['query'],
      additionalProperties: false,
    },
    policy: 'safe',
    async execute(input: unknown, ctx: ToolContext): Promise<ToolResult> {
      if (!ctx.userId) return NO_USER;
      const query = field(input, 'query');
      const limit = field(input, 'limit') ?? DEFAULT_SEARCH_LIMIT;
      if (typeof query !== 'string' || query.trim() === '')
        return invalid('"query" must be a non-empty string');
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
        return invalid(`"limit" must be an integer from 1 to ${MAX_SEARCH_LIMIT}`);
      }
      const vector = await embedOne(embedder, query.trim(), ctx.signal);
      const found = await store.query({ tenantId: ctx.tenantId, userId: ctx.userId, vector, limit });
      const results = found.map((m) => ({
        id: m.id,
        content: m.content,
        score: Math.round(m.score * 1000) / 1000,
        createdAt: m.createdAt.toISOString(),
      }));
      const content =
        results.length === 0
          ? 'No memories found.'
          : results.map((r, i) => `${i + 1}. [score ${r.score.toFixed(3)}] ${r.content}`).join('\n');
      return { content, structured: { results } };
    },
  };
}

function field(input: unknown, name: string): unknown {
  return input !== null && typeof input === 'object' && !Array.isArray(input)
    ? (input as Record<string, unknown>)[name]
    : undefined;
}
