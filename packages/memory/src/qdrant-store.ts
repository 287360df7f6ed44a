// Long-term memory in Qdrant: one collection for every tenant, isolated by payload filters.
// tenant_id and user_id are indexed payload fields (tenant_id as Qdrant's "is_tenant" index, which
// co-locates a tenant's points) and every read or delete carries a must-filter on them.
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { isUuid } from './ids.ts';
import { assertVector } from './vector-math.ts';
import {
  clampLimit,
  InvalidCursorError,
  MAX_LIST_LIMIT,
  MAX_QUERY_LIMIT,
  type MemoryListRequest,
  type MemoryPage,
  type MemoryQuery,
  type NewMemory,
  resolveMemory,
  type ScoredMemory,
  type StoredMemory,
  type VectorStore,
} from './vector-store.ts';

export interface QdrantVectorStoreOptions {
  url?: string;
  apiKey?: string;
  /** Default agentq_memory. */
  collection?: string;
  timeoutMs?: number;
  /** A ready client (the options above except collection are then ignored). */
  client?: QdrantClient;
}

type Filter = Schemas['Filter'];
type Payload = Record<string, unknown> | null | undefined;

export class QdrantVectorStore implements VectorStore {
  readonly kind = 'qdrant';
  readonly collection: string;
  private readonly client: QdrantClient;
  /** Resolves to the collection's vector size once it exists and its payload indexes are in place. */
  private ready: Promise<number> | undefined;

  constructor(options: QdrantVectorStoreOptions) {
    this.collection = options.collection ?? 'agentq_memory';
    this.client =
      options.client ??
      new QdrantClient({
        ...(options.url ? { url: options.url } : {}),
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        timeout: options.timeoutMs ?? 30_000,
        // The version check is a fire-and-forget request at construction that logs via console.warn;
        // a wrong server shows up as failing calls anyway.
        checkCompatibility: false,
      });
  }

  async upsert(memories: NewMemory[]): Promise<string[]> {
    const resolved = memories.map(resolveMemory);
    const first = resolved[0];
    if (!first) return [];
    const size = first.vector.length;
    if (resolved.some((m) => m.vector.length !== size))
      throw new TypeError('all vectors of one upsert must have one length');
    await this.open(size);
    const createdAt = new Date().toISOString();
    await this.client.upsert(this.collection, {
      wait: true,
      points: resolved.map((m) => ({
        id: m.id,
        vector: m.vector,
        payload: {
          tenant_id: m.tenantId,
          user_id: m.userId,
          content: m.content,
          metadata: m.metadata,
          created_at: createdAt,
        },
      })),
    });
    return resolved.map((m) => m.id);
  }

  async query(query: MemoryQuery): Promise<ScoredMemory[]> {
    assertVector(query.vector, 'query vector');
    // A query creates the collection too: its vector has the embedder's size, and an empty collection
    // answers "nothing" instead of a 404.
    await this.open(query.vector.length);
    const result = await this.client.query(this.collection, {
      query: query.vector,
      filter: ownerFilter(query.tenantId, query.userId),
      limit: clampLimit(query.limit, MAX_QUERY_LIMIT),
      with_payload: true,
    });
    return result.points.map((p) => ({ ...toMemory(p.id, p.payload), score: p.score }));
  }

  async list(request: MemoryListRequest): Promise<MemoryPage> {
    if (request.cursor !== undefined && !isUuid(request.cursor))
      throw new InvalidCursorError('invalid memory cursor');
    if (!(await this.open())) return { items: [] };
    const result = await this.client.scroll(this.collection, {
      filter: ownerFilter(request.tenantId, request.userId),
      limit: clampLimit(request.limit, MAX_LIST_LIMIT),
      ...(request.cursor !== undefined ? { offset: request.cursor } : {}),
      with_payload: true,
      with_vector: false,
    });
    const next = result.next_page_offset;
    return {
      items: result.points.map((p) => toMemory(p.id, p.payload)),
      ...(typeof next === 'string' || typeof next === 'number' ? { nextCursor: String(next) } : {}),
    };
  }

  async delete(request: { tenantId: string; id: string }): Promise<boolean> {
    if (!isUuid(request.id)) return false;
    if (!(await this.open())) return false;
    // The id alone could name another tenant's point: count and delete through the tenant filter.
    const filter: Filter = { must: [{ has_id: [request.id] }, match('tenant_id', request.tenantId)] };
    const { count } = await this.client.count(this.collection, { filter, exact: true });
    if (count === 0) return false;
    await this.client.delete(this.collection, { wait: true, filter });
    return true;
  }

  /**
   * Makes sure the collection exists (creating it with `size` when given) and is indexed; false when
   * it does not exist and there is nothing to create it with. Done once per process.
   */
  private async open(size?: number): Promise<boolean> {
    if (!this.ready) {
      const { exists } = await this.client.collectionExists(this.collection);
      if (!exists && size === undefined) return false;
      this.ready ??= this.prepare(exists ? undefined : size).catch((error: unknown) => {
        this.ready = undefined;
        throw error;
      });
    }
    const actual = await this.ready;
    if (size !== undefined && size !== actual) {
      throw new Error(
        `Qdrant collection "${this.collection}" holds ${actual}-dimensional vectors but the embedder gives ${size}: ` +
          'vectors of different embedders cannot be compared; use another QDRANT_COLLECTION for this embedder',
      );
    }
    return true;
  }

  private async prepare(createWithSize: number | undefined): Promise<number> {
    if (createWithSize !== undefined) {
      try {
        await this.client.createCollection(this.collection, {
          vectors: { size: createWithSize, distance: 'Cosine' },
        });
      } catch (error) {
        // Another process may have created it between our check and our create.
        if (!(await this.client.collectionExists(this.collection)).exists) throw error;
      }
    }
    const info = await this.client.getCollection(this.collection);
    const vectors = info.config.params.vectors;
    const size = vectors && 'size' in vectors && typeof vectors.size === 'number' ? vectors.size : undefined;
    if (size === undefined) {
      throw new Error(
        `Qdrant collection "${this.collection}" does not have a single unnamed vector; it is not agentq's`,
      );
    }
    // Idempotent, so always: a process that died between creating the collection and indexing it
    // leaves no unindexed collection behind (Qdrant's strict mode rejects filters on unindexed fields).
    await this.client.createPayloadIndex(this.collection, {
      wait: true,
      field_name: 'tenant_id',
      field_schema: { type: 'keyword', is_tenant: true },
    });
    await this.client.createPayloadIndex(this.collection, {
      wait: true,
      field_name: 'user_id',
      field_schema: 'keyword',
    });
    return size;
  }
}

const match = (key: string, value: string) => ({ key, match: { value } });

function ownerFilter(tenantId: string, userId: string | undefined): Filter {
  return {
    must: [match('tenant_id', tenantId), ...(userId !== undefined ? [match('user_id', userId)] : [])],
  };
}

function toMemory(id: string | number, payload: Payload): StoredMemory {
  const p = payload ?? {};
  const metadata = p.metadata;
  return {
    id: String(id),
    tenantId: String(p.tenant_id ?? ''),
    userId: String(p.user_id ?? ''),
    content: String(p.content ?? ''),
    metadata: metadata && typeof metadata === 'object' ? (metadata as Record<string, unknown>) : {},
    createdAt: new Date(typeof p.created_at === 'string' ? p.created_at : 0),
  };
}
