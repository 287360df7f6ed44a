// Submits that arrive together are created together: one INSERT of all their jobs (one commit) and one
// BullMQ addBulk (one Redis round trip), instead of one of each per request. Group commit (batcher.ts):
// a submit that finds a free slot goes at once, so a quiet API adds no latency.
import { Batcher, type CreateJobResult, type JobsRepo, type NewJob, type Settled } from '@agentq/db';
import type { Queues } from '@agentq/queue';

export class JobIntake {
  private readonly batcher: Batcher<NewJob, CreateJobResult>;

  constructor(jobs: JobsRepo, queues: Queues) {
    this.batcher = new Batcher(
      async (inputs) => {
        const results = await jobs.createMany(inputs);
        const created = results.flatMap((r, i) =>
          r.kind === 'created' ? [{ jobId: r.job.job_id, tenantId: inputs[i]!.tenantId }] : [],
        );
        // Enqueue failing is not the insert failing: the jobs exist (queued) and the reconciler enqueues
        // them once Redis is back, so this must not make the batcher insert them again. Their submits fail.
        const enqueued = created.length === 0 ? undefined : await settle(queues.enqueueFreshRuns(created));
        return results.map(
          (r): Settled<CreateJobResult> =>
            r.kind === 'created' && enqueued && !enqueued.ok ? enqueued : { ok: true, value: r },
        );
      },
      {
        // A session's jobs run oldest first: two of them created in one statement would share created_at.
        key: (input) => (input.sessionId === undefined ? undefined : `${input.tenantId}\n${input.sessionId}`),
      },
    );
  }

  /** Creates the job and enqueues its run (an idempotent replay or a key conflict is not enqueued). */
  submit(input: NewJob): Promise<CreateJobResult> {
    return this.batcher.add(input);
  }
}

const settle = (p: Promise<void>): Promise<Settled<void>> =>
  p.then(
    () => ({ ok: true, value: undefined }),
    (error: unknown) => ({ ok: false, error }),
  );
