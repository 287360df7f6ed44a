// Long-term memory of the caller's tenant (README "Memory"): GET /memories lists it (all users, or one
// with ?user_id=), DELETE /memories/:id erases one. Memories are written by jobs (memory_save, summaries);
// the API only reads and deletes, in whichever store the workers use (Qdrant when QDRANT_URL is set).
import type { Config } from '@agentq/config';
import type { Prisma } from '@agentq/db';
import { PostgresVectorStore } from '@agentq/db/memory';
import {
  InvalidCursorError,
  MAX_LIST_LIMIT,
  QdrantVectorStore,
  type StoredMemory,
  type VectorStore,
} from '@agentq/memory';
import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../auth.ts';
import { HttpError, notFound, parse, route } from '../errors.ts';

const listQuery = z
  .object({
    user_id: z.string().min(1).max(200).optional(),
    cursor: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(100),
  })
  .strict();

/** The store the workers write to: Qdrant when QDRANT_URL is set, else the memory table in Postgres. */
export function memoryStoreFor(config: Config, prisma: Prisma): VectorStore {
  return config.QDRANT_URL
    ? new QdrantVectorStore({
        url: config.QDRANT_URL,
        collection: config.QDRANT_COLLECTION,
        ...(config.QDRANT_API_KEY ? { apiKey: config.QDRANT_API_KEY } : {}),
      })
    : new PostgresVectorStore(prisma);
}

const view = (m: StoredMemory) => ({
  id: m.id,
  user_id: m.userId,
  content: m.content,
  metadata: m.metadata,
  created_at: m.createdAt.toISOString(),
});

export function memoryRoutes(deps: { config: Config; prisma: Prisma; memoryStore?: VectorStore }): Router {
  const store = deps.memoryStore ?? memoryStoreFor(deps.config, deps.prisma);
  const router = Router();

  router.get(
    '/memories',
    route(async (req, res) => {
      const q = parse(listQuery, req.query, 'query');
      let page: Awaited<ReturnType<VectorStore['list']>>;
      try {
        page = await store.list({
          tenantId: tenantOf(res),
          limit: q.limit,
          ...(q.user_id !== undefined ? { userId: q.user_id } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        });
      } catch (error) {
        if (!(error instanceof InvalidCursorError)) throw error;
        throw new HttpError(400, 'invalid_request', 'cursor: not a cursor this API returned', [
          { field: 'cursor', message: 'invalid' },
        ]);
      }
      res.json({ memories: page.items.map(view), next_cursor: page.nextCursor ?? null });
    }),
  );

  router.delete(
    '/memories/:id',
    route(async (req, res) => {
      const id = String(req.params.id);
      // Another tenant's memory is "not found", exactly like one that never existed.
      if (!(await store.delete({ tenantId: tenantOf(res), id }))) throw notFound('memory');
      res.json({ id, deleted: true });
    }),
  );

  return router;
}
