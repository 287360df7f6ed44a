import { type Prisma, pingDatabase } from '@agentq/db';
import { Router } from 'express';
import type { Redis } from 'ioredis';

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)),
  ]);

/** 200 when Postgres and Redis both answer; 503 naming what is down. */
export function healthRoutes(prisma: Prisma, redis: Redis): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const [pg, rd] = await Promise.allSettled([
      withTimeout(pingDatabase(prisma), 2_000),
      withTimeout(redis.ping(), 2_000),
    ]);
    const down: Record<string, string> = {};
    if (pg.status === 'rejected') down.postgres = 'unreachable';
    if (rd.status === 'rejected') down.redis = 'unreachable';
    if (Object.keys(down).length === 0) return res.json({ status: 'ok' });
    res.status(503).json({ status: 'unavailable', down });
  });
  return router;
}
