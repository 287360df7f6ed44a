// Builds the API's resources from config and serves the app. main.ts (and the tests) call createApi.
import { createServer, type Server } from 'node:http';
import type { Config, Logger } from '@agentq/config';
import { ApiKeysRepo, createDb, DeliveriesRepo, JobsRepo } from '@agentq/db';
import { createRedis, Queues } from '@agentq/queue';
import { createApp } from './app.ts';
import { Authenticator, OPEN_TENANT } from './auth.ts';
import type { SubmitCatalog } from './catalog.ts';
import { JobWatcher } from './job-watcher.ts';
import { bootstrapApiKeys } from './keys.ts';

export interface RunningApi {
  server: Server;
  close(): Promise<void>;
}

export async function createApi(opts: {
  config: Config;
  log: Logger;
  runtime: SubmitCatalog;
}): Promise<RunningApi> {
  const { config, log } = opts;
  const db = createDb(config.DATABASE_URL);
  const redis = createRedis(config.REDIS_URL, { name: 'agentq-api' });
  const subscriber = createRedis(config.REDIS_URL, { name: 'agentq-api-sub' });
  const queues = new Queues(
    createRedis(config.REDIS_URL, { name: 'agentq-api-queues' }),
    config.QUEUE_PREFIX,
  );
  const jobs = new JobsRepo(db);
  const keyCount = await bootstrapApiKeys(db.prisma, config.API_KEYS ?? []);
  const open = keyCount === 0;
  if (open) {
    await jobs.ensureTenant(OPEN_TENANT);
    log.warn(
      '\n  *** agentq API is running OPEN: no API keys exist, every caller is tenant "default". ***\n  *** Set API_KEYS=tenant:key or run `pnpm agentq keys create --tenant <name>` before exposing it. ***',
    );
  }
  const watcher = new JobWatcher(subscriber, config.QUEUE_PREFIX);
  await watcher.start();
  const app = createApp({
    config,
    log,
    prisma: db.prisma,
    jobs,
    deliveries: new DeliveriesRepo(db.prisma),
    queues,
    redis,
    watcher,
    catalog: opts.runtime,
    auth: new Authenticator(new ApiKeysRepo(db.prisma), open),
  });
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  return {
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queues.close();
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
      await db.close();
    },
  };
}
