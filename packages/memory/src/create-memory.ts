// Long-term memory as configured: the vector store (Qdrant when QDRANT_URL is set, else the Postgres
// store the caller passes in — memory cannot import @agentq/db, which imports memory), the embedder,
// the tools, and the recall/summary helpers bound to them.
import type { Tool } from '@agentq/agent';
import type { Embedder } from './embedder.ts';
import { LocalEmbedder } from './local-embedder.ts';
import { createMemoryTools } from './memory-tools.ts';
import { OpenAIEmbedder } from './openai-embedder.ts';
import { QdrantVectorStore } from './qdrant-store.ts';
import { type RecallOptions, recallForTask } from './recall.ts';
import { type SaveJobSummaryOptions, saveJobSummary } from './summary.ts';
import type { VectorStore } from './vector-store.ts';

export interface CreateMemoryOptions {
  /** EMBEDDER: "local" (lexical, default), "openai", or a ready embedder. */
  embedder?: 'local' | 'openai' | Embedder;
  /** EMBEDDING_MODEL, for "openai". */
  embeddingModel?: string;
  /** OPENAI_API_KEY. */
  openaiApiKey?: string;
  /** OPENAI_BASE_URL (an OpenAI-compatible server). */
  openaiBaseUrl?: string;
  /** QDRANT_URL: when set, memories live in Qdrant. */
  qdrantUrl?: string;
  qdrantApiKey?: string;
  /** QDRANT_COLLECTION. */
  qdrantCollection?: string;
  /** Used when qdrantUrl is unset: `new PostgresVectorStore(prisma)` from @agentq/db/memory. */
  postgresStore?: VectorStore;
}

export interface MemoryService {
  store: VectorStore;
  embedder: Embedder;
  /** memory_save and memory_search. */
  tools: Tool[];
  /** MEMORY_AUTO_RECALL: a system-prompt block of the user's memories closest to the task ('' if none). */
  recall(args: Omit<RecallOptions, 'store' | 'embedder'>): Promise<string>;
  /** MEMORY_SAVE_SUMMARY: remembers a finished job; its memory id, or undefined when skipped. */
  saveSummary(args: Omit<SaveJobSummaryOptions, 'store' | 'embedder'>): Promise<string | undefined>;
}

export function createMemory(options: CreateMemoryOptions): MemoryService {
  const embedder = createEmbedder(options);
  const store = createStore(options);
  return {
    store,
    embedder,
    tools: createMemoryTools({ store, embedder }),
    recall: (args) => recallForTask({ store, embedder, ...args }),
    saveSummary: (args) => saveJobSummary({ store, embedder, ...args }),
  };
}

export function createEmbedder(
  options: Pick<CreateMemoryOptions, 'embedder' | 'embeddingModel' | 'openaiApiKey' | 'openaiBaseUrl'>,
): Embedder {
  const choice = options.embedder ?? 'local';
  if (typeof choice === 'object') return choice;
  if (choice === 'local') return new LocalEmbedder();
  if (!options.openaiApiKey && !options.openaiBaseUrl) {
    throw new Error(
      'EMBEDDER=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server)',
    );
  }
  return new OpenAIEmbedder({
    ...(options.openaiApiKey ? { apiKey: options.openaiApiKey } : {}),
    ...(options.openaiBaseUrl ? { baseURL: options.openaiBaseUrl } : {}),
    ...(options.embeddingModel ? { model: options.embeddingModel } : {}),
  });
}

function createStore(options: CreateMemoryOptions): VectorStore {
  if (options.qdrantUrl) {
    return new QdrantVectorStore({
      url: options.qdrantUrl,
      ...(options.qdrantApiKey ? { apiKey: options.qdrantApiKey } : {}),
      ...(options.qdrantCollection ? { collection: options.qdrantCollection } : {}),
    });
  }
  if (!options.postgresStore) throw new Error('memory needs QDRANT_URL or a Postgres store (postgresStore)');
  return options.postgresStore;
}
