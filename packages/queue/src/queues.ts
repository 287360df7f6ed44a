import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type JobKind, jobKinds, type PayloadOf, parsePayload } from './catalog.ts';

/** Keeps a short history for Bull Board, but lets an agent job's id be reused when it is resumed later. */
const KEEP = { removeOnComplete: { age: 3_600, count: 1_000 }, removeOnFail: { age: 7 * 86_400 } } as const;

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
      this.queues.set(name, q);
    }
    return q;
  }

  all(): Queue[] {
    return (Object.keys(jobKinds) as JobKind[]).map((k) => this.queue(k));
  }

  async enqueue<K extends JobKind>(kind: K, payload: PayloadOf<K>, opts: JobsOptions = {}): Promise<void> {
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
    const queue = this.queue(kind);
    if (jobId) {
      // A finished BullMQ job with this id would make the add a silent no-op (e.g. a job resumed after
      // approval): clear it first. Waiting, delayed or active ones stay — then the add is a true duplicate.
      const existing = await queue.getJob(jobId);
      if (existing && ((await existing.isCompleted()) || (await existing.isFailed())))
        await existing.remove();
    }
    await queue.add(kind, data, options);
  }

  /** Enqueues an agent run (a new job, or a resumed one). */
  enqueueRun(jobId: string, tenantId: string, opts: JobsOptions = {}): Promise<void> {
    return this.enqueue('agentRun', { job_id: jobId, tenant_id: tenantId }, opts);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
