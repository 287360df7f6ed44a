// The Express app: routes, auth, validation, Bull Board. It writes jobs and reads their state; it knows
// nothing about how an agent runs.
import type { Config, Logger } from '@agentq/config';
import { type DeliveriesRepo, type JobsRepo, type Prisma, SchedulesRepo, TenantsRepo } from '@agentq/db';
import type { Queues } from '@agentq/queue';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import { adminAuth, BULL_BOARD_PATH, bullBoard } from './admin.ts';
import type { Authenticator } from './auth.ts';
import { bodyGuard } from './body-guard.ts';
import type { SubmitCatalog } from './catalog.ts';
import { errorHandler, unknownRoute } from './errors.ts';
import type { JobWatcher } from './job-watcher.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { deliveryRoutes } from './routes/deliveries.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { listJobsRoutes } from './routes/list-jobs.ts';
import { memoryRoutes } from './routes/memories.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { submitGuard } from './submit-guard.ts';

export interface ApiDeps {
  config: Config;
  log: Logger;
  prisma: Prisma;
  jobs: JobsRepo;
  deliveries: DeliveriesRepo;
  queues: Queues;
  redis: Redis;
  watcher: JobWatcher;
  catalog: SubmitCatalog;
  auth: Authenticator;
}

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Express would hash every response body for a weak ETag; job answers change as the job runs and nothing
  // here promises conditional requests, so that is a SHA-1 per request for nothing.
  app.set('etag', false);
  app.set('trust proxy', 'loopback');
  app.use((_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    next();
  });
  app.use(healthRoutes(deps.prisma, deps.redis));
  app.use(
    BULL_BOARD_PATH,
    adminAuth(deps.config.ADMIN_USERNAME, deps.config.ADMIN_PASSWORD, deps.auth.open),
    bullBoard(deps.queues),
  );
  app.use(
    express.json({
      limit: deps.config.MAX_BODY_BYTES,
      strict: true,
      type: ['application/json', 'application/*+json'],
    }),
  );
  app.use(deps.auth.middleware());
  app.use(bodyGuard);
  app.post(['/submit', '/run'], submitGuard({ ...deps, tenants: new TenantsRepo(deps.prisma) }));
  app.use(jobRoutes(deps));
  app.use(listJobsRoutes(deps.jobs));
  app.use(memoryRoutes(deps));
  app.use(eventRoutes(deps.jobs, deps.watcher));
  app.use(deliveryRoutes(deps.deliveries, deps.queues));
  app.use(approvalRoutes(deps.jobs, deps.queues, deps.redis, deps.config.QUEUE_PREFIX));
  app.use(scheduleRoutes({ ...deps, schedules: new SchedulesRepo(deps.prisma) }));
  app.use(unknownRoute);
  app.use(errorHandler(deps.log));
  return app;
}
