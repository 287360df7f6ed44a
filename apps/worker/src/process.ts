// Builds a worker's resources from config and starts it. main.ts (and the tests) call startWorkerProcess.
import type { Config, Logger } from '@agentq/config';
import { createDb, DeliveriesRepo, JobsRepo, PostgresCheckpointStore } from '@agentq/db';
import { createRedis, jobKinds, Queues } from '@agentq/queue';
import type { Runtime } from './run-processor.ts';
import { createWebhookProcessor } from './webhook-processor.ts';
import { startWorker } from './worker.ts';

export interface RunningWorkerProcess {
  id: string;
  close(): Promise<void>;
}

/** A delivery whose attempt is this late has lost its queue entry (e.g. Redis restarted empty). */
const DELIVERY_OVERDUE_MS = 30_000;

export async function startWorkerProcess(opts: {
  config: Config;
  log: Logger;
  runtime: Runtime;
}): Promise<RunningWorkerProcess> {
  const { config, log } = opts;
  const db = createDb(config.DATABASE_URL, { maxConnections: Math.min(50, config.WORKER_CONCURRENCY + 5) });
  const queues = new Queues(
    createRedis(config.REDIS_URL, { name: 'agentq-worker-queues' }),
    config.QUEUE_PREFIX,
  );
  const deliveries = new DeliveriesRepo(db.prisma);
  const enqueueDeliveries = async (ids: string[]) => {
    await Promise.all(ids.map((id) => queues.enqueue('webhookDelivery', { delivery_id: id })));
  };
  const store = new PostgresCheckpointStore(db.prisma, enqueueDeliveries);
  const requeueOverdueDeliveries = async () => {
    const queue = queues.queue('webhookDelivery');
    const lost = [];
    for (const id of await deliveries.overdue(DELIVERY_OVERDUE_MS)) {
      const state = await queue.getJobState(jobKinds.webhookDelivery.jobId({ delivery_id: id }));
      if (state === 'unknown' || state === 'completed' || state === 'failed') lost.push(id);
    }
    await enqueueDeliveries(lost);
  };
  const jobs = new JobsRepo(db.prisma);
  const expireApprovals = async () => {
    for (const job of await jobs.expireApprovals()) await queues.enqueueRun(job.id, job.tenant_id);
  };
  const worker = await startWorker({
    config,
    log,
    store,
    jobs,
    queues,
    runtime: opts.runtime,
    processors: {
      [jobKinds.webhookDelivery.queue]: {
        processor: createWebhookProcessor({ config, log, deliveries }),
        concurrency: 20,
      },
    },
    extraPasses: [requeueOverdueDeliveries, expireApprovals],
  });
  return {
    id: worker.id,
    async close() {
      await worker.close();
      await queues.close();
      await db.close();
    },
  };
}
