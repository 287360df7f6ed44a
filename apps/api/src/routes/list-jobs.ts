// GET /jobs — a tenant's jobs, newest first, filtered by status, user, session and creation time, with an
// opaque cursor (keyset pagination: stable while new jobs arrive).
import type { JobsRepo } from '@agentq/db';
import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../auth.ts';
import { HttpError, parse, route } from '../errors.ts';

const STATUSES = ['queued', 'running', 'waiting_approval', 'succeeded', 'failed', 'cancelled'] as const;

const query = z
  .object({
    status: z
      .string()
      .transform((s) => s.split(','))
      .pipe(z.array(z.enum(STATUSES)))
      .optional(),
    user_id: z.string().min(1).max(200).optional(),
    session_id: z.string().min(1).max(200).optional(),
    created_after: z.iso.datetime({ offset: true }).optional(),
    created_before: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const encodeCursor = (createdAt: string, id: string) =>
  Buffer.from(`${createdAt}|${id}`).toString('base64url');
function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!createdAt || !id || Number.isNaN(Date.parse(createdAt)) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new HttpError(400, 'invalid_request', 'cursor: not a cursor this API returned', [
      { field: 'cursor', message: 'invalid' },
    ]);
  }
  return { createdAt, id };
}

export function listJobsRoutes(jobs: JobsRepo): Router {
  const router = Router();
  router.get(
    '/jobs',
    route(async (req, res) => {
      const q = parse(query, req.query, 'query');
      const page = await jobs.list(tenantOf(res), {
        status: q.status,
        userId: q.user_id,
        sessionId: q.session_id,
        createdAfter: q.created_after ? new Date(q.created_after) : undefined,
        createdBefore: q.created_before ? new Date(q.created_before) : undefined,
        after: q.cursor ? decodeCursor(q.cursor) : undefined,
        limit: q.limit,
      });
      const last = page.at(-1);
      res.json({
        jobs: page,
        next_cursor: page.length === q.limit && last ? encodeCursor(last.created_at, last.job_id) : null,
      });
    }),
  );
  return router;
}
