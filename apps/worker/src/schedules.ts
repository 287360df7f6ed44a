// Schedules on the worker side: the processor of the `schedules` queue turns each firing into an ordinary
// job (created from the template the API stored, idempotently per firing, then enqueued), and the
// reconciliation that rebuilds BullMQ's job schedulers from Postgres (a Redis restart loses them).
import type { Config, Logger } from '@agentq/config';
import type { JobsRepo, SchedulesRepo, TenantsRepo } from '@agentq/db';
import {
  parsePayload,
  type Queues,
  removeScheduler,
  runConfigSchema,
  schedulerIds,
  upsertScheduler,
} from '@agentq/queue';
import type { Job } from 'bullmq';
import { z } from 'zod';

/** The job part of a schedule's template (written by apps/api/src/routes/schedules.ts). */
const templateJob = z.object({
  task: z.string().min(1),
  model: z.string().min(1),
  config: runConfigSchema,
  user_id: z.string().optional(),
  session_id: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  webhook_url: z.string().optional(),
});

export interface ScheduleProcessorDeps {
  config: Config;
  log: Logger;
  jobs: JobsRepo;
  schedules: SchedulesRepo;
  tenants: TenantsRepo;
  queues: Queues;
}

export function createScheduleProcessor(deps: ScheduleProcessorDeps) {
  const { log, queues } = deps;
  return async function processFiring(job: Job): Promise<{ status: string; job_id?: string }> {
    const { schedule_id: scheduleId, tenant_id: tenantId } = parsePayload('scheduledRun', job.data);
    const schedule = await deps.schedules.get(tenantId, scheduleId);
    if (!schedule) {
      // Deleted while its scheduler lived on (a failed removal, or a reconciler race): stop it here.
      await removeScheduler(queues, scheduleId).catch(() => {});
      return { status: 'schedule_deleted' };
    }
    const parsed = templateJob.safeParse((schedule.template as { job?: unknown } | null)?.job);
    if (!parsed.success) {
      log.error(
        { schedule_id: scheduleId, err: parsed.error.message },
        'schedule template is invalid; skipped',
      );
      return { status: 'invalid_template' };
    }
    const cap =
      (await deps.tenants.limits(tenantId))?.dailyCostCapUsd ?? deps.config.TENANT_DAILY_COST_CAP_USD;
    if (cap !== undefined && (await deps.tenants.costToday(tenantId)) >= cap) {
      log.warn({ schedule_id: scheduleId, tenant: tenantId, cap }, 'daily cost cap reached; firing skipped');
      return { status: 'daily_cost_cap_reached' };
    }
    const t = parsed.data;
    // The BullMQ job id names the firing (repeat:<schedule>:<time>) and stays the same on every retry,
    // so a retried firing finds the job it already created instead of creating another.
    const created = await deps.jobs.create({
      tenantId,
      idempotencyKey: `schedule:${scheduleId}:${job.id ?? job.timestamp}`,
      scheduleId,
      task: t.task,
      model: t.model,
      config: t.config,
      userId: t.user_id,
      sessionId: t.session_id,
      metadata: t.metadata,
      webhookUrl: t.webhook_url,
    });
    // Enqueue even when the job existed: the attempt that created it may have died before enqueueing
    // (a duplicate enqueue is a no-op; the run processor ignores a job that already finished).
    await queues.enqueueRun(created.job.job_id, tenantId, { fresh: created.kind === 'created' });
    log.debug({ schedule_id: scheduleId, job_id: created.job.job_id, kind: created.kind }, 'schedule fired');
    return { status: created.kind, job_id: created.job.job_id };
  };
}

/**
 * Makes Redis's job schedulers match Postgres's schedules: adds the missing ones (Redis restarted empty)
 * and removes the ones whose schedule is gone. Redis is read before Postgres, so a schedule created
 * meanwhile (row first, then scheduler) is never taken for an orphan.
 */
export async function reconcileSchedules(
  schedules: SchedulesRepo,
  queues: Queues,
  log: Logger,
): Promise<{ added: string[]; removed: string[] }> {
  const inRedis = new Set(await schedulerIds(queues));
  const wanted = await schedules.timings();
  const wantedIds = new Set(wanted.map((s) => s.id));
  const added = wanted.filter((s) => !inRedis.has(s.id));
  const removed = [...inRedis].filter((id) => !wantedIds.has(id));
  for (const s of added) await upsertScheduler(queues, s);
  for (const id of removed) await removeScheduler(queues, id);
  if (added.length + removed.length > 0)
    log.info({ added: added.length, removed: removed.length }, 'reconciled schedules with Postgres');
  return { added: added.map((s) => s.id), removed };
}
