// GET /jobs/:id/events — Server-Sent Events from the durable job_event log. Each event's `id:` is its
// per-job sequence number, so `Last-Event-ID` resumes exactly after it, from Postgres, at any time in the
// job's life or after; any API instance can serve any stream. The stream ends after the terminal event.
import type { JobsRepo } from '@agentq/db';
import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../auth.ts';
import { notFound, parse, route } from '../errors.ts';
import type { JobWatcher } from '../job-watcher.ts';
import { abortOnClose } from './jobs.ts';

const HEARTBEAT_MS = 15_000;
const PAGE_SIZE = 500;
const cursor = z.coerce.number().int().min(0).optional();

export function eventRoutes(jobs: JobsRepo, watcher: JobWatcher): Router {
  const router = Router();
  router.get(
    '/jobs/:id/events',
    route(async (req, res) => {
      const tenant = tenantOf(res);
      const id = String(req.params.id);
      let after =
        parse(cursor, req.get('last-event-id'), 'Last-Event-ID') ??
        parse(cursor, req.query.after, 'after') ??
        0;
      let page = await jobs.events(tenant, id, after, PAGE_SIZE);
      if (!page) throw notFound();

      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      const closed = abortOnClose(res);
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
      try {
        for (;;) {
          for (const e of page.events) {
            res.write(
              `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify({ seq: e.seq, type: e.type, created_at: e.created_at, data: e.data })}\n\n`,
            );
            after = e.seq;
          }
          // Terminal and everything up to the cursor sent (a page ends at the terminal event, the last one):
          // also true when the stream was resumed at or after its end.
          const full = page.events.length === PAGE_SIZE;
          if ((page.terminal && !full) || closed.aborted) break;
          // A full page means more are waiting: read on without waiting for a change.
          if (!full) await watcher.changed(id, HEARTBEAT_MS, closed);
          if (closed.aborted) break;
          page = (await jobs.events(tenant, id, after, PAGE_SIZE)) ?? { events: [], terminal: true };
        }
      } finally {
        clearInterval(heartbeat);
        res.end();
      }
    }),
  );
  return router;
}
