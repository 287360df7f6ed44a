// Builds a worker's resources from config and starts it. main.ts (and the tests) call startWorkerProcess.
import type { Config, Logger } from '@agentq/config';
import { createDb, JobsRepo, PostgresCheckpointStore } from '@agentq/db';
import { createRedis, Queues } from '@agentq/queue';
import type { Runtime } from './run-processor.ts';
import { startWorker } from './worker.ts';

export interface RunningWorkerProcess {
  id: string;
  close(): Promise<void>;
}

export async function startWorkerProcess(opts: { config: Config; log: Logger; runtime: Runtime }): Promise<RunningWorkerProcess> {
  const { config, log } = opts;
  const db = createDb(config.DATABASE_URL, { maxConnections: Math.min(50, config.WORKER_CONCURRENCY + 5) });
  const queues = new Queues(createRedis(config.REDIS_URL, { name: 'agentq-worker-queues' }), config.QUEUE_PREFIX);
  const store = new PostgresCheckpointStore(db.prisma, (ids) =>
    Promise.all(ids.map((id) => queues.enqueue('webhookDelivery', { delivery_id: id }))).then(() => {}),
  );
  const worker = await startWorker({ config, log, store, jobs: new JobsRepo(db.prisma), queues, runtime: opts.runtime });
  return {
    id: worker.id,
    async close() {
      await worker.close();
      await queues.close();
      await db.close();
    },
  };
}
