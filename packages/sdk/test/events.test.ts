// client.events() against the real API, directly and through a small HTTP proxy that cuts or refuses
// connections, to prove reconnection resumes with Last-Event-ID: no event missed, none twice.
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recordingTool,
  startPlatform,
  type TestPlatform,
  testRuntime,
} from '../../../test-support/platform.ts';
import { AgentqClient, AgentqError, type JobEvent } from '../src/index.ts';

const echo = recordingTool('echo');
let p: TestPlatform;
let client: AgentqClient;

beforeAll(async () => {
  p = await startPlatform({ label: 'sdk_events', runtime: testRuntime([echo.tool]) });
  client = new AgentqClient({ baseUrl: p.url });
});
afterAll(() => p?.stop());

/** What the proxy does with the n-th request: pass it, answer with an error status, or cut the stream. */
type Plan = { kind: 'pass' } | { kind: 'status'; status: number } | { kind: 'cut'; afterEvents: number };

interface Proxy {
  url: string;
  /** The Last-Event-ID header of each request, in order ('' when absent). */
  requests: string[];
  /** When each request arrived (Date.now()). */
  times: number[];
  /** When each cut happened (Date.now()). */
  cuts: number[];
  /** How many downstream responses have closed. */
  closed: number;
  close(): Promise<void>;
}

/** A proxy to the API that follows `plans` per request (then passes everything through). */
async function startProxy(upstream: string, plans: Plan[]): Promise<Proxy> {
  const target = new URL(upstream);
  const state = { requests: [] as string[], times: [] as number[], cuts: [] as number[], closed: 0 };
  const server: Server = createServer((req, res) => {
    const plan = plans[state.requests.length] ?? { kind: 'pass' };
    state.requests.push(req.headers['last-event-id']?.toString() ?? '');
    state.times.push(Date.now());
    res.on('close', () => {
      state.closed += 1;
    });
    if (plan.kind === 'status') {
      res.writeHead(plan.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'proxy_unavailable', message: 'the proxy says no' } }));
      return;
    }
    const up = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (plan.kind === 'pass') {
          upRes.pipe(res);
          return;
        }
        // Forward whole SSE blocks until `afterEvents` events went through, then send half an event
        // and drop the connection without ending the response (like a crashed server or a cut network).
        let buffer = '';
        let events = 0;
        let cut = false;
        upRes.setEncoding('utf8');
        upRes.on('data', (chunk: string) => {
          if (cut) return;
          buffer += chunk;
          for (
            let end = buffer.indexOf('\n\n');
            end !== -1 && events < plan.afterEvents;
            end = buffer.indexOf('\n\n')
          ) {
            const block = buffer.slice(0, end + 2);
            buffer = buffer.slice(end + 2);
            res.write(block);
            if (/^id:/m.test(block)) events += 1;
          }
          if (events >= plan.afterEvents) {
            cut = true;
            res.write('id: 999\nevent: status\ndata: {"seq":999,"type":"status"');
            state.cuts.push(Date.now());
            setTimeout(() => {
              res.socket?.destroy();
              up.destroy();
            }, 20);
          }
        });
        upRes.on('end', () => res.end());
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return state.requests;
    },
    get times() {
      return state.times;
    },
    get cuts() {
      return state.cuts;
    },
    get closed() {
      return state.closed;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function collect(events: AsyncIterable<JobEvent>): Promise<JobEvent[]> {
  const out: JobEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

const seqs = (events: JobEvent[]) => events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function storedEventCount(jobId: string): Promise<number> {
  const rows = await p.db.prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM job_event WHERE job_id = ${jobId}::uuid`;
  return rows[0]?.n ?? -1;
}

const threeSteps = (delayMs: number, lastDelayMs = delayMs) => [
  { tool_calls: [{ name: 'echo', input: { n: 1 } }], delay_ms: delayMs },
  { tool_calls: [{ name: 'echo', input: { n: 2 } }], delay_ms: delayMs },
  { text: 'done', delay_ms: lastDelayMs },
];

describe('events', () => {
  let jobId: string;
  let full: JobEvent[];

  it('streams a job from its first event to its terminal one, then ends', async () => {
    ({ job_id: jobId } = await client.submit({ task: 't', tools: ['echo'], script: threeSteps(100) }));
    full = await collect(client.events(jobId));

    expect(seqs(full)).toEqual(range(1, full.length));
    expect(full.length).toBe(await storedEventCount(jobId));
    const first = full[0];
    const last = full.at(-1);
    expect(first?.type === 'status' && first.data.status).toBe('queued');
    expect(last?.type === 'status' && last.data).toMatchObject({
      job_id: jobId,
      status: 'succeeded',
      result: 'done',
    });
    expect(full.filter((e) => e.type === 'step').map((e) => e.type === 'step' && e.data.index)).toEqual([
      0, 1, 2,
    ]);
    const toolCalls = full
      .filter((e) => e.type === 'tool_call')
      .map((e) => e.type === 'tool_call' && e.data.status);
    expect(toolCalls).toEqual(['running', 'succeeded', 'running', 'succeeded']);
    for (const e of full) expect(Number.isNaN(Date.parse(e.created_at))).toBe(false);
  });

  it('resumes after a lastEventId with exactly the rest', async () => {
    const rest = await collect(client.events(jobId, { lastEventId: 3 }));
    expect(rest).toEqual(full.slice(3));
    expect(await collect(client.events(jobId, { lastEventId: String(full.length - 1) }))).toEqual(
      full.slice(-1),
    );
  });

  it('reconnects with Last-Event-ID after the connection drops mid-stream: no gap, no duplicate', async () => {
    // The job is still running when the cut comes and when the client comes back (after the server's
    // `retry: 2000`), so the second connection replays the missed events and then tails live ones.
    const { job_id } = await client.submit({ task: 't', tools: ['echo'], script: threeSteps(300, 2_500) });
    const proxy = await startProxy(p.url, [{ kind: 'cut', afterEvents: 3 }]);
    try {
      const viaProxy = new AgentqClient({ baseUrl: proxy.url });
      const events = await collect(viaProxy.events(job_id));

      expect(proxy.requests).toEqual(['', '3']);
      expect(seqs(events)).toEqual(range(1, events.length));
      expect(events.length).toBe(await storedEventCount(job_id));
      expect(events).toEqual(await collect(client.events(job_id)));
      const end = events.at(-1);
      expect(end?.type === 'status' && end.data.status).toBe('succeeded');
      // It waited the server's `retry: 2000` before reconnecting (some slack for timers).
      expect(proxy.cuts).toHaveLength(1);
      expect(proxy.times[1]! - proxy.cuts[0]!).toBeGreaterThan(1_800);
      // ...and the job was still running then: the second connection also tailed live events.
      const finishedAt = Date.parse(end?.type === 'status' ? (end.data.finished_at ?? '') : '');
      expect(finishedAt).toBeGreaterThan(proxy.times[1]!);
    } finally {
      await proxy.close();
    }
  });

  it('retries an error answer while reconnecting, and gives up after maxRetries', async () => {
    const proxy = await startProxy(p.url, [
      { kind: 'cut', afterEvents: 2 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 502 },
    ]);
    try {
      const viaProxy = new AgentqClient({ baseUrl: proxy.url });
      const events = await collect(viaProxy.events(jobId, { reconnectDelayMs: 20 }));
      expect(events).toEqual(full);
      expect(proxy.requests).toEqual(['', '2', '2', '2']);
    } finally {
      await proxy.close();
    }

    const down = await startProxy(p.url, [
      { kind: 'status', status: 503 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 503 },
    ]);
    try {
      const error = await collect(
        new AgentqClient({ baseUrl: down.url }).events(jobId, { reconnectDelayMs: 20, maxRetries: 2 }),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AgentqError);
      expect((error as AgentqError).status).toBe(503);
      expect(down.requests).toHaveLength(3);
    } finally {
      await down.close();
    }
  });

  it('does not retry a 404: an unknown job fails at once', async () => {
    const proxy = await startProxy(p.url, []);
    try {
      const error = await collect(new AgentqClient({ baseUrl: proxy.url }).events(randomUUID())).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AgentqError);
      expect((error as AgentqError).code).toBe('not_found');
      expect(proxy.requests).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('closes the connection when the consumer stops early, and rejects when the signal aborts', async () => {
    const { job_id } = await client.submit({ task: 't', script: [{ text: 'slow', delay_ms: 3_000 }] });
    const proxy = await startProxy(p.url, []);
    try {
      const viaProxy = new AgentqClient({ baseUrl: proxy.url });
      for await (const e of viaProxy.events(job_id)) {
        expect(e.seq).toBe(1);
        break;
      }
      await expect.poll(() => proxy.closed, { timeout: 2_000 }).toBe(1);

      const controller = new AbortController();
      const seen: number[] = [];
      const reason = new Error('enough');
      const error = await (async () => {
        for await (const e of viaProxy.events(job_id, { signal: controller.signal })) {
          seen.push(e.seq);
          if (e.seq === 2) setTimeout(() => controller.abort(reason), 50);
        }
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBe(reason);
      expect(seen).toEqual([1, 2]);
      await expect.poll(() => proxy.closed, { timeout: 2_000 }).toBe(2);
    } finally {
      await client.cancel(job_id);
      await proxy.close();
    }
  });
});
