// Worker liveness in Redis. Every worker refreshes a key while it runs; the run processor's gate asks
// whether a job's lease owner is still alive before taking the job over (run-processor.ts).
import type { Redis } from 'ioredis';

/**
 * Each worker refreshes its liveness key every HEARTBEAT_MS; without a refresh it expires after HEARTBEAT_TTL_MS.
 * The TTL is generous on purpose: a worker whose event loop stalls for a few seconds on a loaded machine
 * loses its BullMQ lock (and BullMQ hands the job out again) but keeps its heartbeat, so the liveness gate
 * keeps the job from being run twice. Only a worker silent for the whole TTL counts as dead; a killed
 * worker's job is still taken over about when BullMQ notices the stall.
 */
const HEARTBEAT_MS = 1_000;
const HEARTBEAT_TTL_MS = 8_000;
/** After a Redis restart, how long until every live worker has reconnected and beaten again. */
const HEARTBEAT_REREGISTER_MS = 5_000;

const aliveKey = (prefix: string, workerId: string): string => `${prefix}:worker:${workerId}`;

/** How long Redis has been up (Infinity when INFO is not available, e.g. a restricted managed Redis). */
async function redisUptimeMs(redis: Redis): Promise<number> {
  const info = await redis.info('server').catch(() => '');
  const seconds = /uptime_in_seconds:(\d+)/.exec(info)?.[1];
  return seconds === undefined ? Number.POSITIVE_INFINITY : Number(seconds) * 1000;
}

export class Liveness {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly workerId: string,
  ) {}

  /** Starts this worker's heartbeat (the first beat is written before it resolves). */
  async start(): Promise<void> {
    const beat = () =>
      this.redis.set(aliveKey(this.prefix, this.workerId), '1', 'PX', HEARTBEAT_TTL_MS).catch(() => {});
    await beat();
    this.timer = setInterval(beat, HEARTBEAT_MS);
  }

  /** Stops beating and removes the key, so a clean exit is seen at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.del(aliveKey(this.prefix, this.workerId)).catch(() => {});
  }

  /** Whether another worker is alive (or may be: right after a Redis restart, absence proves nothing yet). */
  async isAlive(workerId: string): Promise<boolean> {
    if ((await this.redis.exists(aliveKey(this.prefix, workerId))) === 1) return true;
    return (await redisUptimeMs(this.redis)) < HEARTBEAT_REREGISTER_MS;
  }
}
