import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type JobKind, jobKinds, type PayloadOf, parsePayload } from './catalog.ts';

/** Keeps a short history for Bull Board, but lets an agent job's id be reused when it is resumed later. */
const KEEP = { removeOnComplete: { age: 3_600, count: 1_000 }, removeOnFail: { age: 7 * 86_400 } } as const;

/** A BullMQ job for a payload of `kind`: validated, with the kind's retry policy, history and job id. */
function bullJob<K extends JobKind>(kind: K, payload: PayloadOf<K>, opts: JobsOptions = {}) {
  const spec = jobKinds[kind];
  const data = parsePayload(kind, payload);
  const jobId = spec.jobId ? (spec.jobId as (p: PayloadOf<K>) => string)(data) : undefined;
  const options: JobsOptions = {
    attempts: spec.attempts,
    backoff: spec.backoff,
    ...KEEP,
    ...(jobId ? { jobId } : {}),
    ...opts,
  };
  return { name: kind as string, data, opts: options };
}

/** The producer side: one BullMQ Queue per kind, created lazily, sharing one Redis connection. */
export class Queues {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
  ) {}

  queue(kind: JobKind): Queue {
    const name = jobKinds[kind].queue;
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // Without a listener, BullMQ prints every reconnect failure while Redis is down; the commands that
      // need Redis reject on their own, so nothing is lost by not printing them here.
      q.on('error', () => {});
      this.queues.set(name, q);
    }
    return q;
  }

  all(): Queue[] {
    return (Object.keys(jobKinds) as JobKind[]).map((k) => this.queue(k));
  }

  /** `fresh`: the id was never enqueued before (a job created just now), so there is nothing to clear. */
  async enqueue<K extends JobKind>(
    kind: K,
    payload: PayloadOf<K>,
    opts: JobsOptions = {},
    { fresh = false }: { fresh?: boolean } = {},
  ): Promise<void> {
    const job = bullJob(kind, payload, opts);
    const queue = this.queue(kind);
    const jobId = job.opts.jobId;
    if (jobId && !fresh) {
      // A finished BullMQ job with this id would make the add a silent no-op (e.g. a job resumed after
      // approval): clear it first. Waiting, delayed or active ones stay — then the add is a true duplicate.
      const state = await queue.getJobState(jobId);
      if (state === 'completed' || state === 'failed') await queue.remove(jobId);
    }
    await queue.add(job.name, job.data, job.opts);
  }

  /** Enqueues the runs of jobs created just now, all in one Redis round trip (addBulk is atomic). */
  async enqueueFreshRuns(runs: { jobId: string; tenantId: string }[]): Promise<void> {
    await this.queue('agentRun').addBulk(
      runs.map((r) => bullJob('agentRun', { job_id: r.jobId, tenant_id: r.tenantId })),
    );
  }

  /** Enqueues an agent run: a job created just now (`fresh`), or one resumed or recovered. */
  enqueueRun(jobId: string, tenantId: string, { fresh = false }: { fresh?: boolean } = {}): Promise<void> {
    return this.enqueue('agentRun', { job_id: jobId, tenant_id: tenantId }, {}, { fresh });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
