// Phase 1, the raw BullMQ floor: what Redis + BullMQ alone do on this machine, with the same job options and
// payload shape the platform uses for agent runs (custom job id, attempts/backoff, removeOnComplete).
import { randomBytes, randomUUID } from 'node:crypto';
import { createRedis, jobKinds } from '@agentq/queue';
import { type JobsOptions, Queue, Worker } from 'bullmq';
import { nowMs, pool, withTimeout } from './stats.ts';

export interface BullmqResult {
  jobs: number;
  concurrency: number;
  /** addBulk in chunks of `chunk`. */
  addBulkPerSecond: number;
  chunk: number;
  /** One `add` per job, 32 in flight (what the API does per submit, minus its getJob check). */
  singleAdds: number;
  singleAddPerSecond: number;
  /** Worker with a no-op processor: first start to last completion. */
  jobsPerSecond: number;
  processSeconds: number;
}

/** The platform's options for an agent run (queues.ts KEEP + the catalog's attempts/backoff). */
const RUN_OPTIONS: JobsOptions = {
  attempts: jobKinds.agentRun.attempts,
  backoff: jobKinds.agentRun.backoff,
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 7 * 86_400 },
};

export async function runRawBullmq(opts: {
  redisUrl: string;
  jobs: number;
  concurrency: number;
  log: (line: string) => void;
}): Promise<BullmqResult> {
  const prefix = `aqbench_${randomBytes(4).toString('hex')}`;
  const connection = createRedis(opts.redisUrl, { name: 'agentq-bench-queue' });
  const workerConnection = createRedis(opts.redisUrl, { name: 'agentq-bench-worker' });
  const queue = new Queue('bench-noop', { connection, prefix });
  const singles = new Queue('bench-single-add', { connection, prefix });
  let worker: Worker | undefined;
  try {
    await queue.waitUntilReady();
    const payload = () => {
      const id = randomUUID();
      return {
        name: 'agentRun',
        data: { job_id: id, tenant_id: 'bench' },
        opts: { ...RUN_OPTIONS, jobId: id },
      };
    };

    // addBulk
    const chunk = 1_000;
    const addStart = nowMs();
    for (let done = 0; done < opts.jobs; done += chunk) {
      await queue.addBulk(Array.from({ length: Math.min(chunk, opts.jobs - done) }, payload));
    }
    const addSeconds = (nowMs() - addStart) / 1000;
    opts.log(`  addBulk: ${opts.jobs} jobs in ${addSeconds.toFixed(2)} s`);

    // single adds, 32 concurrent (on a separate queue that is never processed)
    const singleAdds = Math.min(opts.jobs, 2_000);
    const singleStart = nowMs();
    await pool(singleAdds, 32, async () => {
      const p = payload();
      await singles.add(p.name, p.data, p.opts);
    });
    const singleSeconds = (nowMs() - singleStart) / 1000;
    opts.log(`  add: ${singleAdds} jobs in ${singleSeconds.toFixed(2)} s`);

    // processing
    let completed = 0;
    let lastCompletion = 0;
    const w = new Worker('bench-noop', async () => ({ ok: true }), {
      connection: workerConnection,
      prefix,
      concurrency: opts.concurrency,
      autorun: false,
      lockDuration: 10_000,
      stalledInterval: 5_000,
    });
    worker = w;
    const allDone = new Promise<void>((resolve, reject) => {
      w.on('completed', () => {
        completed++;
        lastCompletion = nowMs();
        if (completed === opts.jobs) resolve();
      });
      w.on('failed', (_job, err) => reject(err));
      w.on('error', reject);
    });
    await w.waitUntilReady();
    const processStart = nowMs();
    void w.run();
    await withTimeout(
      allDone,
      120_000,
      () => `raw BullMQ: only ${completed}/${opts.jobs} jobs completed in 120 s`,
    );
    const processSeconds = (lastCompletion - processStart) / 1000;
    opts.log(`  worker: ${opts.jobs} jobs in ${processSeconds.toFixed(2)} s`);
    return {
      jobs: opts.jobs,
      concurrency: opts.concurrency,
      addBulkPerSecond: opts.jobs / addSeconds,
      chunk,
      singleAdds,
      singleAddPerSecond: singleAdds / singleSeconds,
      jobsPerSecond: opts.jobs / processSeconds,
      processSeconds,
    };
  } finally {
    await worker?.close().catch(() => {});
    await Promise.allSettled([queue.obliterate({ force: true }), singles.obliterate({ force: true })]);
    await Promise.allSettled([queue.close(), singles.close()]);
    await Promise.allSettled([connection.quit(), workerConnection.quit()]);
  }
}
