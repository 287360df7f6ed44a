// Redis pub/sub channel names. Messages are hints that make things faster (wake a long-poll, abort a run);
// correctness never depends on them — Postgres is read again after every hint.
import type { Redis } from 'ioredis';

export const channels = {
  /** Payload: job id. Every worker aborts the run if it holds it. */
  cancel: (prefix: string) => `${prefix}:cancel`,
  /**
   * Payload: one or more job ids, comma-separated (see jobChangedIds). A job changed (status, step, tool
   * call): waiters and event streams re-read it.
   */
  jobChanged: (prefix: string) => `${prefix}:job-changed`,
};

/** The job ids in a jobChanged message. */
export const jobChangedIds = (message: string): string[] => message.split(',');

/** How long job-changed hints are gathered before they go out in one message. */
const HINT_BATCH_MS = 2;

/**
 * Announces job changes, batched: every id announced within HINT_BATCH_MS goes out in one PUBLISH. A busy
 * worker writes a checkpoint every few hundred microseconds; batching saves a Redis round trip per write, and
 * every API process parses one message instead of many. Waiters wake ≤ 2 ms later.
 */
export function jobChangedPublisher(redis: Redis, prefix: string): (jobId: string) => void {
  const pending = new Set<string>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const ids = [...pending].join(',');
    pending.clear();
    redis.publish(channels.jobChanged(prefix), ids).catch(() => {});
  };
  return (jobId) => {
    pending.add(jobId);
    if (scheduled) return;
    scheduled = true;
    setTimeout(flush, HINT_BATCH_MS);
  };
}
