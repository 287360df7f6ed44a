// Redis is not the source of truth. Every RECONCILE_INTERVAL_MS one worker (whoever takes the lock)
// compares Postgres with the queues and re-enqueues what Redis lost: jobs Postgres says are queued, and
// running jobs whose worker is gone. A running job whose worker is alive is left alone (after a Redis
// restart it keeps running and records its end in Postgres); an absent owner is confirmed on a second
// pass before its job is taken, so a worker that is only slow to re-register its heartbeat keeps its job.
import type { Config, Logger } from '@agentq/config';
import type { ActiveJob, JobsRepo } from '@agentq/db';
import type { Queues } from '@agentq/queue';
import type { Redis } from 'ioredis';

export const workerAliveKey = (prefix: string, workerId: string): string => `${prefix}:worker:${workerId}`;

const IN_QUEUE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export interface ReconcilerDeps {
  config: Config;
  log: Logger;
  jobs: JobsRepo;
  queues: Queues;
  redis: Redis;
  workerId: string;
  /** Extra passes (webhook outbox, approval expiry) run under the same lock. */
  extraPasses?: (() => Promise<void>)[];
}

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private readonly suspects = new Set<string>();
  private busy = false;

  constructor(private readonly deps: ReconcilerDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.config.RECONCILE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass; returns the ids it re-enqueued (undefined when another worker holds the lock). */
  async tick(): Promise<string[] | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    const { config, redis, log } = this.deps;
    try {
      const lock = await redis.set(
        `${config.QUEUE_PREFIX}:reconciler`,
        this.deps.workerId,
        'PX',
        Math.max(1_000, config.RECONCILE_INTERVAL_MS - 100),
        'NX',
      );
      if (lock !== 'OK') return undefined;
      const requeued = await this.reconcileRuns();
      for (const pass of this.deps.extraPasses ?? []) await pass();
      if (requeued.length > 0)
        log.info({ count: requeued.length }, 'reconciler re-enqueued jobs Redis had lost');
      return requeued;
    } catch (err) {
      log.warn({ err }, 'reconciler pass failed; will try again');
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  private async reconcileRuns(): Promise<string[]> {
    const { jobs, queues, redis, config } = this.deps;
    const active = await jobs.activeJobs();
    const queue = queues.queue('agentRun');
    const requeued: string[] = [];
    const stillSuspect = new Set<string>();
    const check = async (job: ActiveJob) => {
      const state = await queue.getJobState(job.id);
      if (IN_QUEUE.has(state)) return;
      if (job.status === 'running' && job.lease_owner) {
        if (await redis.exists(workerAliveKey(config.QUEUE_PREFIX, job.lease_owner))) return;
        if (!this.suspects.has(job.id)) {
          stillSuspect.add(job.id);
          return;
        }
      }
      await queues.enqueueRun(job.id, job.tenant_id);
      requeued.push(job.id);
    };
    for (let i = 0; i < active.length; i += 100) await Promise.all(active.slice(i, i + 100).map(check));
    this.suspects.clear();
    for (const id of stillSuspect) this.suspects.add(id);
    return requeued;
  }
}
