// Boots the real platform for a test file: a fresh migrated Postgres database, a unique BullMQ prefix on
// the machine's Redis, the API on a free port and one or more workers in this process. Nothing is mocked.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { JobFailure, ScriptedModel, type Tool, type ToolResult } from '@agentq/agent';
import { type Config, loadConfig } from '@agentq/config';
import { createTestDatabase, type TestDatabase } from '@agentq/db/testing';
import { createRedis, Queues } from '@agentq/queue';
import { pino } from 'pino';
import { createCatalog } from '../apps/api/src/catalog-from-config.ts';
import { createApi, type RunningApi } from '../apps/api/src/server.ts';
import { type RunningWorkerProcess, startWorkerProcess } from '../apps/worker/src/process.ts';
import type { Runtime } from '../apps/worker/src/run-processor.ts';
import { createRuntime } from '../apps/worker/src/runtime.ts';

export interface TestPlatform {
  url: string;
  config: Config;
  db: TestDatabase;
  queues: Queues;
  api: RunningApi;
  workers: RunningWorkerProcess[];
  startWorker(): Promise<RunningWorkerProcess>;
  stop(): Promise<void>;
}

/** A runtime with the scripted model and the given tools (tests that need real models/tools pass their own). */
export function testRuntime(tools: Tool[] = []): Runtime {
  const byName = new Map(tools.map((t) => [t.name, t]));
  return {
    model(name, script) {
      if (name !== 'scripted') throw new JobFailure('invalid_job', `test runtime has no model ${name}`);
      return new ScriptedModel(script ?? []);
    },
    tools(selection) {
      return new Map([...byName].filter(([n]) => !selection || selection.includes(n)));
    },
  };
}

/** A tool that records every execution (with its idempotency key) — the "side effect" of tests. */
export function recordingTool(
  name: string,
  opts: Partial<Tool> & { run?: (input: unknown) => Promise<ToolResult> | ToolResult } = {},
) {
  const calls: { input: unknown; key: string; attempt: number }[] = [];
  const tool: Tool = {
    name,
    description: `test tool ${name}`,
    inputSchema: { type: 'object' },
    policy: 'retry_with_key',
    ...opts,
    async execute(input, ctx) {
      calls.push({ input, key: ctx.idempotencyKey, attempt: ctx.attempt });
      return opts.run
        ? opts.run(input)
        : { content: `ok:${JSON.stringify(input)}`, structured: { echoed: input } };
    },
  };
  return { tool, calls };
}

export async function startPlatform(
  options: {
    runtime?: Runtime;
    /**
     * Use the deployment's real runtime (createRuntime: models, tools, memory, sessions) and the API's
     * real catalog instead of a test runtime; a function may wrap it (e.g. to record model requests).
     */
    realRuntime?: true | ((runtime: Runtime) => Runtime);
    env?: Record<string, string>;
    workers?: number;
    label?: string;
  } = {},
): Promise<TestPlatform> {
  const db = await createTestDatabase(options.label ?? 'e2e');
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `aqt_${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WORKER_LOCK_MS: '4000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    RECONCILE_INTERVAL_MS: '1000',
    SHUTDOWN_GRACE_MS: '0',
    ...options.env,
  });
  const log = pino({ level: config.LOG_LEVEL });
  const real = options.realRuntime ? await createRuntime(config, log) : undefined;
  const runtime =
    real && typeof options.realRuntime === 'function'
      ? options.realRuntime(real)
      : (real ?? options.runtime ?? testRuntime());
  const catalog = real ? await createCatalog(config) : runtimeCatalog(runtime);
  const api = await createApi({ config, log, runtime: catalog });
  await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
  const port = (api.server.address() as AddressInfo).port;
  const queues = new Queues(createRedis(config.REDIS_URL), config.QUEUE_PREFIX);
  const workers: RunningWorkerProcess[] = [];
  const startWorker = async () => {
    const w = await startWorkerProcess({ config, log, runtime });
    workers.push(w);
    return w;
  };
  for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    db,
    queues,
    api,
    workers,
    startWorker,
    async stop() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await real?.close();
      await api.close();
      await Promise.allSettled(queues.all().map((q) => q.obliterate({ force: true })));
      await queues.close();
      await db.drop();
    },
  };
}

/** The API's model/tool catalog for a test runtime: scripted only, tools by name. */
function runtimeCatalog(runtime: Runtime) {
  return {
    defaultModel: () => 'scripted',
    modelProblem: (name: string) => (name === 'scripted' ? undefined : `unknown model "${name}"`),
    unknownTools: (names: string[]) => names.filter((n) => !runtime.tools(undefined).has(n)),
  };
}

export async function json<T = unknown>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Polls `probe` until it returns something other than undefined (or the time runs out). */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 15_000,
  every = 50,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, every));
  }
}
