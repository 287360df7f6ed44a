// POST /jobs/:id/approvals/:call_id — a human approves (optionally with edited input) or rejects a tool
// call the job is waiting on. The job goes back to the queue and resumes on any worker.
import type { JobsRepo } from '@agentq/db';
import { channels, type Queues } from '@agentq/queue';
import { Router } from 'express';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { tenantOf } from '../auth.ts';
import { HttpError, notFound, parse, route } from '../errors.ts';

const decisionSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    reason: z.string().min(1).max(10_000).optional(),
    input: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((d) => d.decision === 'approve' || d.input === undefined, {
    message: 'only an approval can edit the input',
    path: ['input'],
  });

export function approvalRoutes(jobs: JobsRepo, queues: Queues, redis: Redis, prefix: string): Router {
  const router = Router();
  router.post(
    '/jobs/:id/approvals/:call_id',
    route(async (req, res) => {
      const tenant = tenantOf(res);
      const id = String(req.params.id);
      const body = parse(decisionSchema, req.body ?? {});
      const result = await jobs.decideApproval(tenant, id, String(req.params.call_id), {
        approve: body.decision === 'approve',
        reason: body.reason,
        input: body.input,
      });
      if (result.kind !== 'decided') {
        throw result.kind === 'not_found'
          ? notFound('job or tool call')
          : new HttpError(409, 'not_waiting', 'this tool call is not waiting for approval');
      }
      await queues.enqueueRun(id, tenant);
      await redis.publish(channels.jobChanged(prefix), id);
      res.json(result.job);
    }),
  );
  return router;
}
