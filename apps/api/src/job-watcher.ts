// Wakes long-polls and event streams when a job changes. Workers publish the ids of changed jobs on a Redis
// channel after their writes (batched, see jobChangedPublisher); the message is only a hint — the waiter
// re-reads Postgres — and a slow fallback poll covers a missed message (e.g. while Redis restarts). One
// subscription per API process, any number of waiters.
import { channels, jobChangedIds, subscribeWhenReady } from '@agentq/queue';
import type { Redis } from 'ioredis';

const FALLBACK_POLL_MS = 2_000;

export class JobWatcher {
  private readonly waiters = new Map<string, Set<() => void>>();
  private started: Promise<unknown> | undefined;

  constructor(
    private readonly subscriber: Redis,
    private readonly prefix: string,
  ) {}

  /** Subscribes now (createApi calls it), so no change published before the first waiter is missed. */
  start(): Promise<unknown> {
    this.started ??= (async () => {
      this.subscriber.on('message', (channel: string, message: string) => {
        if (channel !== channels.jobChanged(this.prefix) || this.waiters.size === 0) return;
        for (const jobId of jobChangedIds(message)) {
          const set = this.waiters.get(jobId);
          if (set) for (const wake of [...set]) wake();
        }
      });
      await subscribeWhenReady(this.subscriber, channels.jobChanged(this.prefix));
    })();
    return this.started;
  }

  /** Resolves when the job may have changed, after `timeoutMs`, or when `signal` aborts. */
  async changed(jobId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.start();
    await new Promise<void>((resolve) => {
      const set = this.waiters.get(jobId) ?? new Set();
      this.waiters.set(jobId, set);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(jobId);
        resolve();
      };
      const timer = setTimeout(done, Math.min(timeoutMs, FALLBACK_POLL_MS));
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  /** Re-reads with `read` until `isDone` or the deadline. */
  async waitFor<T>(
    jobId: string,
    waitMs: number,
    read: () => Promise<T>,
    isDone: (v: T) => boolean,
    signal?: AbortSignal,
  ): Promise<T> {
    const deadline = Date.now() + waitMs;
    let value = await read();
    while (!isDone(value) && Date.now() < deadline && !signal?.aborted) {
      await this.changed(jobId, deadline - Date.now(), signal);
      value = await read();
    }
    return value;
  }
}
