// One worker process: BullMQ workers for each kind of work, the cancel listener, the liveness heartbeat
// and the reconciler, with a graceful shutdown that finishes or hands back every in-flight run.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { CancelledError, type CheckpointStore } from '@agentq/agent';
import type { Config, Logger } from '@agentq/config';
import type { JobsRepo } from '@agentq/db';
import { channels, createRedis, jobKinds, type Queues, subscribeWhenReady } from '@agentq/queue';
import { type Processor, Worker } from 'bullmq';
import { Liveness } from './liveness.ts';
import { Reconciler } from './reconciler.ts';
import { createRunProcessor, type RunProcessorDeps, type Runtime, ShutdownSignal } from './run-processor.ts';

export interface WorkerDeps {
  config: Config;
  log: Logger;
  store: CheckpointStore;
  jobs: JobsRepo;
  queues: Queues;
  runtime: Runtime;
  /** Extra processors (webhook deliveries, schedules) by queue name. */
  processors?: Record<
    string,
    { processor: Processor; concurrency?: number; settings?: Worker['opts']['settings'] }
  >;
  /** Extra reconciler passes (e.g. overdue webhook deliveries), run under the reconciler's lock. */
  extraPasses?: (() => Promise<void>)[];
  /** Per-tenant running-jobs cap, handed to the run processor (tenant-gate.ts). */
  tenantGate?: RunProcessorDeps['tenantGate'];
}

export interface RunningWorker {
  id: string;
  close(): Promise<void>;
}

export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { config, log } = deps;
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const prefix = config.QUEUE_PREFIX;
  const running = new Map<string, AbortController>();
  const publisher = createRedis(config.REDIS_URL, { name: 'agentq-worker-pub' });
  const liveness = new Liveness(publisher, prefix, id);
  const subscriber = createRedis(config.REDIS_URL, { name: 'agentq-worker-sub' });
  const bullConnection = createRedis(config.REDIS_URL, { name: 'agentq-worker' });

  // Lock settings decide how fast a dead worker's job is taken over (ENVIRONMENT.md: defaults take ~50 s).
  // maxStalledCount is high because a stall here means "a worker died", and the run resumes from its
  // checkpoint: a job making progress must not fail because workers holding it were killed a few times.
  const lockOptions = {
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: 1_000,
  };
  const runWorker = new Worker(
    jobKinds.agentRun.queue,
    createRunProcessor({
      ...deps,
      workerId: id,
      running,
      ownerAlive: (owner) => liveness.isAlive(owner),
    }),
    { connection: bullConnection, prefix, concurrency: config.WORKER_CONCURRENCY, ...lockOptions },
  );
  const others = Object.entries(deps.processors ?? {}).map(
    ([queue, p]) =>
      new Worker(queue, p.processor, {
        connection: bullConnection,
        prefix,
        concurrency: p.concurrency ?? 10,
        ...lockOptions,
        ...(p.settings ? { settings: p.settings } : {}),
      }),
  );
  for (const w of [runWorker, ...others]) {
    w.on('error', (err) => log.error({ err, queue: w.name }, 'worker error'));
    w.on('failed', (job, err) =>
      log.warn({ job_id: job?.id, queue: w.name, err: err.message }, 'queue job failed'),
    );
  }

  await subscribeWhenReady(subscriber, channels.cancel(prefix));
  subscriber.on('message', (channel, jobId) => {
    if (channel !== channels.cancel(prefix)) return;
    running.get(jobId)?.abort(new CancelledError(jobId));
  });

  // No worker takes over a job whose owner still beats (see the gate in run-processor.ts).
  await liveness.start();

  const reconciler = new Reconciler({ ...deps, redis: publisher, workerId: id });
  reconciler.start();
  log.info({ worker_id: id, concurrency: config.WORKER_CONCURRENCY }, 'worker started');

  let closing: Promise<void> | undefined;
  return {
    id,
    close() {
      closing ??= (async () => {
        log.info({ in_flight: running.size }, 'worker shutting down');
        reconciler.stop();
        // Let in-flight runs finish within the grace period, then hand the rest back.
        const handBack = setTimeout(() => {
          for (const c of running.values()) c.abort(new ShutdownSignal('worker shutting down'));
        }, config.SHUTDOWN_GRACE_MS);
        await Promise.all([runWorker.close(), ...others.map((w) => w.close())]);
        clearTimeout(handBack);
        await liveness.stop();
        await Promise.allSettled([publisher.quit(), subscriber.quit(), bullConnection.quit()]);
        log.info('worker stopped');
      })();
      return closing;
    },
  };
}
