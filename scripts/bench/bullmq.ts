// Phase 1, the raw BullMQ floor: what Redis + BullMQ alone do on this machine, with the same job options and
// payload shape the platform uses for agent runs (custom job id, attempts/backoff, removeOnComplete). Also a
// "durable floor": the same Worker doing one raw-pg INSERT commit per job, the least a job that records
// anything in Postgres can cost.
import { randomBytes, randomUUID } from 'node:crypto';
import { connectionString } from '@agentq/db';
import { createTestDatabase } from '@agentq/db/testing';
import { createRedis, jobKinds } from '@agentq/queue';
import { type JobsOptions, Queue, Worker } from 'bullmq';
import { type CpuReport, cpuWindow } from './cpu.ts';
import { pg } from './pg.ts';
import { deleteKeys } from './redis.ts';
import { nowMs, pool, withTimeout } from './stats.ts';

export interface DrainResult {
  jobs: number;
  jobsPerSecond: number;
  seconds: number;
  /** CPU per job (this process + Redis [+ the database's backends]), µs. */
  cpuPerJobMicros: number;
  cpu: CpuReport;
}

export interface BullmqResult {
  jobs: number;
  concurrency: number;
  /** addBulk in chunks of `chunk`. */
  addBulkPerSecond: number;
  chunk: number;
  /** One `add` per job, 32 in flight (what the API does per submit, minus its getJob check). */
  singleAdds: number;
  singleAddPerSecond: number;
  /**
   * Worker with a no-op processor, first start to last completion: the median of NOOP_ROUNDS rounds (one
   * round lasts about a second, and on a shared 2-core machine one second can be 30 % slower than the next).
   */
  noop: DrainResult;
  /** jobs/s of every round, in order. */
  noopRounds: number[];
  /** Worker whose processor commits one row with raw pg (a pool of 10). */
  durable: (DrainResult & { poolSize: number }) | undefined;
}

/** The platform's options for an agent run (queues.ts KEEP + the catalog's attempts/backoff). */
const RUN_OPTIONS: JobsOptions = {
  attempts: jobKinds.agentRun.attempts,
  backoff: jobKinds.agentRun.backoff,
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 7 * 86_400 },
};

const payload = () => {
  const id = randomUUID();
  return {
    name: 'agentRun',
    data: { job_id: id, tenant_id: 'bench' },
    opts: { ...RUN_OPTIONS, jobId: id },
  };
};

async function addBulk(queue: Queue, jobs: number, chunk: number): Promise<void> {
  for (let done = 0; done < jobs; done += chunk) {
    await queue.addBulk(Array.from({ length: Math.min(chunk, jobs - done) }, payload));
  }
}

const NOOP_ROUNDS = 3;

/** Starts a Worker on an already filled queue and times it from start to the last completion. */
async function drain(opts: {
  redisUrl: string;
  prefix: string;
  queue: string;
  jobs: number;
  concurrency: number;
  processor: (data: { job_id: string }) => Promise<unknown>;
  databases?: Record<string, string>;
}): Promise<DrainResult> {
  const connection = createRedis(opts.redisUrl, { name: 'agentq-bench-worker' });
  const worker = new Worker(opts.queue, (job) => opts.processor(job.data as { job_id: string }), {
    connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency,
    autorun: false,
    lockDuration: 10_000,
    stalledInterval: 5_000,
  });
  try {
    let completed = 0;
    let lastCompletion = 0;
    const allDone = new Promise<void>((resolve, reject) => {
      worker.on('completed', () => {
        completed++;
        lastCompletion = nowMs();
        if (completed === opts.jobs) resolve();
      });
      worker.on('failed', (_job, err) => reject(err));
      worker.on('error', reject);
    });
    await worker.waitUntilReady();
    const endCpu = cpuWindow({ trees: {}, databases: opts.databases ?? {} });
    const start = nowMs();
    void worker.run();
    await withTimeout(
      allDone,
      120_000,
      () => `${opts.queue}: only ${completed}/${opts.jobs} jobs completed in 120 s`,
    );
    const seconds = (lastCompletion - start) / 1000;
    const cpu = endCpu();
    let ours = (cpu.seconds['bench driver'] ?? 0) + (cpu.seconds.redis ?? 0);
    for (const label of Object.keys(opts.databases ?? {})) ours += cpu.seconds[`postgres (${label})`] ?? 0;
    return {
      jobs: opts.jobs,
      jobsPerSecond: opts.jobs / seconds,
      seconds,
      cpuPerJobMicros: (ours * 1e6) / opts.jobs,
      cpu,
    };
  } finally {
    await worker.close().catch(() => {});
    await connection.quit().catch(() => {});
  }
}

export async function runRawBullmq(opts: {
  redisUrl: string;
  jobs: number;
  durableJobs: number;
  concurrency: number;
  log: (line: string) => void;
}): Promise<BullmqResult> {
  const prefix = `aqbench_${randomBytes(4).toString('hex')}`;
  const connection = createRedis(opts.redisUrl, { name: 'agentq-bench-queue' });
  const queues = ['bench-noop', 'bench-single-add', 'bench-durable'].map(
    (name) => new Queue(name, { connection, prefix }),
  );
  const [queue, singles, durableQueue] = queues as [Queue, Queue, Queue];
  try {
    await queue.waitUntilReady();
    const chunk = 1_000;
    const addStart = nowMs();
    await addBulk(queue, opts.jobs, chunk);
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

    const rounds: DrainResult[] = [];
    for (let round = 0; round < NOOP_ROUNDS; round++) {
      if (round > 0) await addBulk(queue, opts.jobs, chunk);
      const r = await drain({
        redisUrl: opts.redisUrl,
        prefix,
        queue: 'bench-noop',
        jobs: opts.jobs,
        concurrency: opts.concurrency,
        processor: async () => ({ ok: true }),
      });
      rounds.push(r);
      opts.log(`  worker, no-op, round ${round + 1}: ${opts.jobs} jobs in ${r.seconds.toFixed(2)} s`);
    }
    const noop = [...rounds].sort((a, b) => a.jobsPerSecond - b.jobsPerSecond)[Math.floor(NOOP_ROUNDS / 2)]!;

    let durable: BullmqResult['durable'];
    if (opts.durableJobs > 0) {
      const db = await createTestDatabase('bench_bullpg');
      // 10 connections saturate a small Postgres already, and leave room on a shared server (max_connections).
      const poolSize = Math.min(10, opts.concurrency);
      const pgPool = new pg.Pool({ connectionString: connectionString(db.url), max: poolSize });
      // A connection still being opened when the pool ends is cut by DROP DATABASE … WITH (FORCE): expected.
      pgPool.on('error', () => {});
      try {
        await pgPool.query(
          'CREATE TABLE bench_job (id uuid PRIMARY KEY, done_at timestamptz NOT NULL DEFAULT now())',
        );
        await addBulk(durableQueue, opts.durableJobs, chunk);
        const result = await drain({
          redisUrl: opts.redisUrl,
          prefix,
          queue: 'bench-durable',
          jobs: opts.durableJobs,
          concurrency: opts.concurrency,
          processor: (data) => pgPool.query('INSERT INTO bench_job (id) VALUES ($1)', [data.job_id]),
          databases: { durable: db.name },
        });
        durable = { ...result, poolSize };
        opts.log(
          `  worker, 1 INSERT commit per job: ${opts.durableJobs} jobs in ${result.seconds.toFixed(2)} s`,
        );
      } finally {
        await pgPool.end().catch(() => {});
        await db.drop();
      }
    }
    return {
      jobs: opts.jobs,
      concurrency: opts.concurrency,
      addBulkPerSecond: opts.jobs / addSeconds,
      chunk,
      singleAdds,
      singleAddPerSecond: singleAdds / singleSeconds,
      noop,
      noopRounds: rounds.map((r) => r.jobsPerSecond),
      durable,
    };
  } finally {
    await Promise.allSettled(queues.map((q) => q.obliterate({ force: true })));
    await Promise.allSettled(queues.map((q) => q.close()));
    await deleteKeys(connection, prefix);
    await connection.quit().catch(() => {});
  }
}
