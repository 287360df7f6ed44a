// Recurring jobs: POST /schedules {name?, cron | every_seconds, template}, GET /schedules[/:id],
// DELETE /schedules/:id — all scoped to the caller's tenant. The template is a /submit body, checked by the
// same schema and the same model/tool/webhook checks as /submit; each firing creates an ordinary job from
// it (apps/worker/src/schedules.ts). Postgres holds the schedule; a BullMQ job scheduler fires it.
import { randomUUID } from 'node:crypto';
import type { Config } from '@agentq/config';
import { isUuid, type ScheduleRow, type SchedulesRepo } from '@agentq/db';
import { cronProblem, type Queues, removeScheduler, upsertScheduler } from '@agentq/queue';
import { Router } from 'express';
import { z } from 'zod';
import { tenantOf } from '../auth.ts';
import type { SubmitCatalog } from '../catalog.ts';
import { HttpError, notFound, parse, route } from '../errors.ts';
import { submitSchema } from '../submit-schema.ts';
import { checkRunnable, checkWebhook, modelOf, runConfigOf } from './jobs.ts';

export interface ScheduleRoutesDeps {
  config: Config;
  catalog: SubmitCatalog;
  schedules: SchedulesRepo;
  queues: Queues;
}

/** every_ms is a Postgres integer. */
const MAX_EVERY_SECONDS = Math.floor(2_147_483_647 / 1000);

/** What the schedule row's template holds: the body as given, and the job each firing creates. */
export interface StoredTemplate {
  submit: unknown;
  job: {
    task: string;
    model: string;
    config: Record<string, unknown>;
    user_id?: string | undefined;
    session_id?: string | undefined;
    metadata?: Record<string, unknown> | undefined;
    webhook_url?: string | undefined;
  };
}

/** Re-labels a 400 from the /submit checks so it names the field inside `template`. */
function inTemplate(check: () => void): void {
  try {
    check();
  } catch (error) {
    if (!(error instanceof HttpError) || error.status !== 400) throw error;
    const details = Array.isArray(error.details)
      ? error.details.map((d: { field: string; message: string }) => ({ ...d, field: `template.${d.field}` }))
      : error.details;
    throw new HttpError(400, error.code, `template.${error.message}`, details);
  }
}

export function scheduleRoutes(deps: ScheduleRoutesDeps): Router {
  const { config, schedules, queues } = deps;
  const router = Router();
  const bodySchema = z
    .object({
      name: z.string().trim().min(1).max(200).optional(),
      cron: z.string().trim().min(1).max(200).optional(),
      every_seconds: z.number().int().min(1).max(MAX_EVERY_SECONDS).optional(),
      template: submitSchema(config),
    })
    .strict()
    .superRefine((b, ctx) => {
      if ((b.cron === undefined) === (b.every_seconds === undefined)) {
        ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of cron and every_seconds' });
      }
      const problem = b.cron === undefined ? undefined : cronProblem(b.cron);
      if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: problem });
    });

  const view = async (row: ScheduleRow) => {
    const scheduler = await queues
      .queue('scheduledRun')
      .getJobScheduler(row.id)
      .catch(() => undefined);
    return {
      id: row.id,
      name: row.name,
      cron: row.cron,
      every_seconds: row.every_ms === null ? null : row.every_ms / 1000,
      template: (row.template as StoredTemplate).submit,
      created_at: row.created_at,
      next_run_at: scheduler?.next ? new Date(scheduler.next).toISOString() : null,
    };
  };

  router.post(
    '/schedules',
    route(async (req, res) => {
      const tenantId = tenantOf(res);
      const body = parse(bodySchema, req.body ?? {});
      const t = body.template;
      const model = modelOf(deps.catalog, t);
      inTemplate(() => checkRunnable(deps.catalog, model, t));
      inTemplate(() => checkWebhook(config, t.webhook_url));
      const template: StoredTemplate = {
        submit: t,
        job: {
          task: t.task,
          model,
          config: runConfigOf(t, config),
          user_id: t.user_id,
          session_id: t.session_id,
          metadata: t.metadata,
          webhook_url: t.webhook_url,
        },
      };
      const row = await schedules.create({
        id: randomUUID(),
        tenantId,
        name: body.name,
        cron: body.cron,
        everyMs: body.every_seconds === undefined ? undefined : body.every_seconds * 1000,
        template,
      });
      try {
        await upsertScheduler(queues, row);
      } catch (error) {
        // Without its scheduler the schedule would only start at the next reconciler pass: undo instead.
        await schedules.delete(tenantId, row.id).catch(() => {});
        throw error;
      }
      res
        .status(201)
        .location(`/schedules/${row.id}`)
        .json(await view(row));
    }),
  );

  router.get(
    '/schedules',
    route(async (_req, res) => {
      const rows = await schedules.list(tenantOf(res));
      res.json(await Promise.all(rows.map(view)));
    }),
  );

  router.get(
    '/schedules/:id',
    route(async (req, res) => {
      const id = String(req.params.id);
      const row = isUuid(id) ? await schedules.get(tenantOf(res), id) : undefined;
      if (!row) throw notFound('schedule');
      res.json(await view(row));
    }),
  );

  router.delete(
    '/schedules/:id',
    route(async (req, res) => {
      const id = String(req.params.id);
      if (!isUuid(id) || !(await schedules.delete(tenantOf(res), id))) throw notFound('schedule');
      // If this fails the reconciler removes the orphan scheduler, and a firing without a schedule
      // creates nothing.
      await removeScheduler(queues, id).catch(() => {});
      res.status(204).end();
    }),
  );

  return router;
}
