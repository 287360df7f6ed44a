import { Redis } from 'ioredis';

/**
 * A Redis connection for BullMQ. Workers and blocking clients need maxRetriesPerRequest: null (BullMQ
 * refuses otherwise); every connection retries forever with a capped delay, so a Redis restart heals by itself.
 */
export function createRedis(
  url: string,
  options: { name?: string; onError?: (error: Error) => void } = {},
): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: options.name,
    retryStrategy: (times) => Math.min(200 * times, 2_000),
  });
  // ioredis prints unhandled connection errors to stderr on every reconnect attempt; reconnecting is
  // expected (Redis restarts), and the callers' own commands surface real failures.
  redis.on('error', options.onError ?? (() => {}));
  return redis;
}

/**
 * Subscribes once the connection is ready. A SUBSCRIBE sent while ioredis's ready check (INFO) is still
 * pending puts the connection in subscriber mode first; the INFO is then refused ("Connection in subscriber
 * mode"), the connection drops, and the subscription was seen lost for seconds in tests.
 */
export async function subscribeWhenReady(redis: Redis, ...channels: string[]): Promise<void> {
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve) => {
      redis.once('ready', () => resolve());
    });
  }
  await redis.subscribe(...channels);
}
