// Long-term memory storage, independent of where vectors live (Postgres arrays or Qdrant).
// Every operation is scoped by tenant; reads of content by meaning are also scoped by user.
import { contentKey, memoryId } from './ids.ts';
import { assertVector } from './vector-math.ts';

/** A memory to write. Its id is derived from tenant, user and key (see ids.ts), never chosen freely. */
export interface NewMemory {
  tenantId: string;
  userId: string;
  content: string;
  vector: number[];
  /** What makes this memory "the same" on a second write; default: a hash of the content. */
  key?: string;
  metadata?: Record<string, unknown>;
}

export interface StoredMemory {
  id: string;
  tenantId: string;
  userId: string;
  content: string;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export interface ScoredMemory extends StoredMemory {
  /** Cosine similarity to the query vector, in [-1, 1]; higher is closer. */
  score: number;
}

export interface MemoryQuery {
  tenantId: string;
  userId: string;
  vector: number[];
  limit: number;
}

export interface MemoryListRequest {
  tenantId: string;
  /** Only this user's memories; absent: the whole tenant's (admin listing). */
  userId?: string;
  /** Opaque, from a previous page's nextCursor. */
  cursor?: string;
  limit: number;
}

export interface MemoryPage {
  /** In a stable order (by id); not by time. */
  items: StoredMemory[];
  /** Absent on the last page. */
  nextCursor?: string;
}

export interface VectorStore {
  readonly kind: string;
  /** Inserts or replaces; returns the ids in input order. Writing the same memory twice keeps one copy. */
  upsert(memories: NewMemory[]): Promise<string[]>;
  /** The user's memories closest to the vector, best first. */
  query(query: MemoryQuery): Promise<ScoredMemory[]>;
  list(request: MemoryListRequest): Promise<MemoryPage>;
  /** True when the tenant had a memory with this id (another tenant's id is "not found"). */
  delete(request: { tenantId: string; id: string }): Promise<boolean>;
}

/** Thrown for a cursor no page of this store produced. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

export const MAX_QUERY_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

/** Limits outside the range are clamped, not rejected: callers pass user input through. */
export function clampLimit(limit: number, max: number): number {
  return Number.isFinite(limit) ? Math.min(max, Math.max(1, Math.floor(limit))) : max;
}

/** A NewMemory checked and given its deterministic id: what both stores actually write. */
export interface ResolvedMemory {
  id: string;
  tenantId: string;
  userId: string;
  content: string;
  vector: number[];
  metadata: Record<string, unknown>;
}

export function resolveMemory(memory: NewMemory): ResolvedMemory {
  if (!memory.tenantId || !memory.userId) throw new TypeError('a memory needs a tenantId and a userId');
  if (typeof memory.content !== 'string' || memory.content.trim() === '') {
    throw new TypeError('a memory needs non-empty content');
  }
  assertVector(memory.vector, 'memory vector');
  const key = memory.key ?? contentKey(memory.content);
  return {
    id: memoryId({ tenantId: memory.tenantId, userId: memory.userId, key }),
    tenantId: memory.tenantId,
    userId: memory.userId,
    content: memory.content,
    vector: memory.vector,
    metadata: memory.metadata ?? {},
  };
}
