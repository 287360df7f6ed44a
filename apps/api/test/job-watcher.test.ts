// Job-changed hints on real Redis: a worker's writes are announced in batches, and the API's watcher wakes
// every waiter of every job named in a batch (and nobody else).
import { randomUUID } from 'node:crypto';
import { channels, createRedis, jobChangedPublisher, subscribeWhenReady } from '@agentq/queue';
import { afterAll, describe, expect, it } from 'vitest';
import { JobWatcher } from '../src/job-watcher.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('job-changed hints', () => {
  const prefix = `aqtest_watch_${randomUUID().slice(0, 8)}`;
  const publisher = createRedis(REDIS_URL, { name: 'test-hints-pub' });
  const subscriber = createRedis(REDIS_URL, { name: 'test-hints-sub' });
  const probe = createRedis(REDIS_URL, { name: 'test-hints-probe' });
  afterAll(async () => {
    await Promise.all([publisher.quit(), subscriber.quit(), probe.quit()]);
  });

  it('announces the ids written within a moment in one message, each id once', async () => {
    const messages: string[] = [];
    probe.on('message', (_channel: string, message: string) => messages.push(message));
    await subscribeWhenReady(probe, channels.jobChanged(prefix));
    await publisher.ping(); // connected, so the first batch is not held up by the connection
    const announce = jobChangedPublisher(publisher, prefix);
    const received = async (n: number) => {
      for (let i = 0; i < 100 && messages.length < n; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50)); // and nothing more arrives
      return messages;
    };
    for (const id of ['a', 'b', 'a', 'c']) announce(id);
    expect(await received(1)).toEqual(['a,b,c']);
    announce('d');
    expect(await received(2)).toEqual(['a,b,c', 'd']);
  });

  it('wakes the waiters of every job in a batch, and not the others', async () => {
    const watcher = new JobWatcher(subscriber, prefix);
    await watcher.start();
    const announce = jobChangedPublisher(publisher, prefix);
    const woke: string[] = [];
    const started = Date.now();
    const wait = (id: string, ms: number) => watcher.changed(id, ms).then(() => woke.push(id));
    const waits = [wait('j1', 1_500), wait('j2', 1_500), wait('other', 400)];
    announce('j1');
    announce('j2');
    await Promise.all(waits.slice(0, 2));
    expect(Date.now() - started).toBeLessThan(400); // woken by the hint, not by the timeout
    expect(woke.sort()).toEqual(['j1', 'j2']);
    await waits[2];
    expect(woke).toContain('other'); // only its own timeout ended that wait
  });
});
