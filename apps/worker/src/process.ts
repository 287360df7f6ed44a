// Builds a worker's resources from config and starts it. main.ts (and the tests) call startWorkerProcess.
import type { Config, Logger } from '@agentq/config';
import {
  createDb,
  DeliveriesRepo,
  JobsRepo,
  PostgresCheckpointStore,
  SchedulesRepo,
  TenantsRepo,
} from '@agentq/db';
import { createRedis, jobChangedPublisher, jobKinds, Queues } from '@agentq/queue';
import type { Runtime } from './run-processor.ts';
import { createScheduleProcessor, reconcileSchedules } from './schedules.ts';
import { TenantGate } from './tenant-gate.ts';
import { createWebhookProcessor } from './webhook-processor.ts';
import { startWorker } from './worker.ts';

export interface RunningWorkerProcess {
  id: string;
  close(): Promise<void>;
}

/** A delivery this late for its attempt has lost its queue entry (e.g. Redis restarted empty). */
const deliveryOverdueMs = (config: Config) => Math.max(5_000, config.RECONCILE_INTERVAL_MS);

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
  // Every committed change of a job is announced (a hint: long-polls and event streams re-read Postgres).
  const hints = createRedis(config.REDIS_URL, { name: 'agentq-worker-hints' });
  const store = new PostgresCheckpointStore(db.sql, {
    onDeliveries: enqueueDeliveries,
    onWrite: jobChangedPublisher(hints, config.QUEUE_PREFIX),
  });
  const requeueOverdueDeliveries = async () => {
    const queue = queues.queue('webhookDelivery');
    const lost = [];
    for (const id of await deliveries.overdue(deliveryOverdueMs(config))) {
      const state = await queue.getJobState(jobKinds.webhookDelivery.jobId({ delivery_id: id }));
      if (state === 'unknown' || state === 'completed' || state === 'failed') lost.push(id);
    }
    await enqueueDeliveries(lost);
  };
  const jobs = new JobsRepo(db);
  const expireApprovals = async () => {
    for (const job of await jobs.expireApprovals()) await queues.enqueueRun(job.id, job.tenant_id);
  };
  const tenants = new TenantsRepo(db.prisma);
  const schedules = new SchedulesRepo(db.prisma);
  const tenantGate = TenantGate.start(config, log, tenants);
  const syncSchedules = async () => {
    await reconcileSchedules(schedules, queues, log);
  };
  await syncSchedules().catch((err) => log.warn({ err }, 'could not reconcile schedules at start'));
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
      [jobKinds.scheduledRun.queue]: {
        processor: createScheduleProcessor({ config, log, jobs, schedules, tenants, queues }),
        concurrency: 5,
      },
    },
    extraPasses: [requeueOverdueDeliveries, expireApprovals, syncSchedules],
    tenantGate,
  });
  return {
    id: worker.id,
    async close() {
      await worker.close();
      await tenantGate.close();
      await queues.close();
      await hints.quit().catch(() => {});
      await db.close();
    },
  };
}
