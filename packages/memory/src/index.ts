// @agentq/memory: long-term memory (vector store + embedder + tools) and short-term session history.
export {
  type CreateMemoryOptions,
  createEmbedder,
  createMemory,
  type MemoryService,
} from './create-memory.ts';
export { type Embedder, embedOne } from './embedder.ts';
export { contentKey, isUuid, MEMORY_ID_NAMESPACE, memoryId, uuidV5 } from './ids.ts';
export { LocalEmbedder, type LocalEmbedderOptions, tokens } from './local-embedder.ts';
export {
  createMemoryTools,
  type MemoryToolsOptions,
  memorySaveTool,
  memorySearchTool,
} from './memory-tools.ts';
export { OpenAIEmbedder, type OpenAIEmbedderOptions } from './openai-embedder.ts';
export { QdrantVectorStore, type QdrantVectorStoreOptions } from './qdrant-store.ts';
export { RECALL_HEADER, type RecallOptions, recallForTask } from './recall.ts';
export { SessionHistory, type SessionHistoryOptions, toMessages } from './session-history.ts';
export { type LockAttempt, SessionLease, SessionLock, type SessionLockOptions } from './session-lock.ts';
export type { AppendResult, SessionLog, SessionRole, SessionTurn, StoredTurn } from './session-log.ts';
export { type SaveJobSummaryOptions, saveJobSummary, summarizeForMemory } from './summary.ts';
export { assertVector, cosine, dot, norm, normalize } from './vector-math.ts';
export {
  clampLimit,
  InvalidCursorError,
  MAX_LIST_LIMIT,
  MAX_QUERY_LIMIT,
  type MemoryListRequest,
  type MemoryPage,
  type MemoryQuery,
  type NewMemory,
  type ResolvedMemory,
  resolveMemory,
  type ScoredMemory,
  type StoredMemory,
  type VectorStore,
} from './vector-store.ts';
