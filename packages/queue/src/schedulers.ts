// Schedules fire through BullMQ job schedulers on the `schedules` queue: one scheduler per schedule (its id
// is the schedule id), whose every firing is a `scheduledRun` job carrying only ids. Postgres holds the
// schedules; these schedulers can be rebuilt from it at any time (apps/worker/src/schedules.ts).
import { getNextMillis, type RepeatOptions } from 'bullmq';
import { jobKinds } from './catalog.ts';
import type { Queues } from './queues.ts';

/** Cron patterns are read in UTC. */
export const SCHEDULE_TZ = 'UTC';

export interface SchedulerSpec {
  id: string;
  tenant_id: string;
  cron: string | null;
  every_ms: number | null;
}

/**
 * Why a cron pattern can't be used, or undefined when it is fine: 5 fields, 6 with seconds first, or a
 * macro such as @hourly / @daily.
 */
export function cronProblem(pattern: string): string | undefined {
  const fields = pattern.trim().split(/\s+/);
  if (!pattern.trim().startsWith('@') && (fields.length < 5 || fields.length > 6))
    return 'must have 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first';
  try {
    const next = getNextMillis(Date.now(), { pattern, tz: SCHEDULE_TZ });
    if (typeof next !== 'number' || !Number.isFinite(next)) return 'never fires';
    return undefined;
  } catch (error) {
    return `not a valid cron pattern (${error instanceof Error ? error.message : String(error)})`;
  }
}

function repeatOf(s: SchedulerSpec): Omit<RepeatOptions, 'key'> {
  if (s.cron) return { pattern: s.cron, tz: SCHEDULE_TZ };
  if (s.every_ms) return { every: s.every_ms };
  throw new Error(`schedule ${s.id} has neither cron nor every_ms`);
}

/** Creates or updates the schedule's job scheduler. */
export async function upsertScheduler(queues: Queues, s: SchedulerSpec): Promise<void> {
  const spec = jobKinds.scheduledRun;
  await queues.queue('scheduledRun').upsertJobScheduler(s.id, repeatOf(s), {
    name: 'scheduledRun',
    data: spec.payload.parse({ schedule_id: s.id, tenant_id: s.tenant_id }),
    opts: {
      attempts: spec.attempts,
      backoff: spec.backoff,
      removeOnComplete: { age: 3_600, count: 1_000 },
      removeOnFail: { age: 7 * 86_400 },
    },
  });
}

export async function removeScheduler(queues: Queues, id: string): Promise<void> {
  await queues.queue('scheduledRun').removeJobScheduler(id);
}

/** The ids of every job scheduler Redis holds on the schedules queue. */
export async function schedulerIds(queues: Queues): Promise<string[]> {
  const all = await queues.queue('scheduledRun').getJobSchedulers(0, -1);
  return all.map((s) => s.id ?? s.key);
}
