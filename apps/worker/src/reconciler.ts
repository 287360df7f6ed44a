// Redis is not the source of truth. Every RECONCILE_INTERVAL_MS one worker (whoever takes the lock)
// compares Postgres with the queues and re-enqueues every job Postgres says is queued or running that Redis
// has lost. A running job whose worker is still alive is safe to re-enqueue: the processor's liveness gate
// (run-processor.ts) delays it until that worker is gone or done, instead of taking it over.
import type { Config, Logger } from '@agentq/config';
import type { ActiveJob, JobsRepo } from '@agentq/db';
import type { Queues } from '@agentq/queue';
import type { Redis } from 'ioredis';

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
    const { jobs, queues } = this.deps;
    const active = await jobs.activeJobs();
    const queue = queues.queue('agentRun');
    const requeued: string[] = [];
    const check = async (job: ActiveJob) => {
      if (IN_QUEUE.has(await queue.getJobState(job.id))) return;
      await queues.enqueueRun(job.id, job.tenant_id);
      requeued.push(job.id);
    };
    for (let i = 0; i < active.length; i += 100) await Promise.all(active.slice(i, i + 100).map(check));
    return requeued;
  }
}
