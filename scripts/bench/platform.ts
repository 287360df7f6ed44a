// Phase 4, the whole platform: the real API (apps/api/src/main.ts) and worker(s)
// (apps/worker/src/main.ts, with the deployment runtime: the scripted model and the built-in tools) as child
// processes on a fresh database and queue prefix; jobs submitted over HTTP; throughput, latency and the
// commits Postgres counted for the platform's database while they ran.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@agentq/db/testing';
import { createRedis, Queues } from '@agentq/queue';
import { type CpuReport, cpuWindow } from './cpu.ts';
import { connect, type PgClient } from './pg.ts';
import { deleteKeys } from './redis.ts';
import { type Distribution, distribution, pool, sleep, withTimeout } from './stats.ts';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

export interface PlatformOptions {
  redisUrl: string;
  concurrency: number;
  workers: number;
  logLevel: string;
  /** Directory for --cpu-prof output of the child processes (profiling on when set). */
  profileDir: string | undefined;
  log: (line: string) => void;
}

interface LogLine {
  at: number;
  source: string;
  level: number;
  text: string;
}

export interface RunningPlatform {
  url: string;
  db: TestDatabase;
  prefix: string;
  pids: { api: number[]; worker: number[] };
  /** Warn-or-worse log lines the children wrote since `since` (ms epoch). */
  problems(since: number): LogLine[];
  /** SIGTERM to the API and workers, waiting for them to exit (their Postgres sessions end too). */
  stopProcesses(): Promise<void>;
  /** stopProcesses, then obliterate the queues, drop the database and the workspace. Idempotent. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPlatformProcesses(opts: PlatformOptions): Promise<RunningPlatform> {
  const db = await createTestDatabase('bench_platform');
  const prefix = `aqbench_${randomBytes(4).toString('hex')}`;
  const workspace = `${REPO_ROOT}.bench/workspace-${prefix}`;
  await mkdir(workspace, { recursive: true });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    REDIS_URL: opts.redisUrl,
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    LOG_LEVEL: opts.logLevel,
    LOG_PRETTY: 'false',
    WORKER_CONCURRENCY: String(opts.concurrency),
    SHUTDOWN_GRACE_MS: '0',
    SCRIPTED_MODEL: 'on',
    DEFAULT_MODEL: '',
    MAX_STEPS_LIMIT: '10000',
    LOOP_DETECTION_THRESHOLD: '100',
    RATE_LIMIT_SUBMITS_PER_MINUTE: '100000000',
    TENANT_MAX_RUNNING_JOBS: '100000',
    WORKSPACE_DIR: workspace,
    // Whatever the caller's shell has, the bench runs an open API with built-in tools only.
    API_KEYS: '',
    ALLOWED_TOOLS: '',
    MCP_CONFIG: '',
    QDRANT_URL: '',
    MEMORY_AUTO_RECALL: '0',
    MEMORY_SAVE_SUMMARY: 'false',
    RUN_PYTHON: 'off',
    WEBHOOK_SECRET: '',
  };
  const lines: LogLine[] = [];
  const tails = new Map<string, string[]>();
  const children: { name: string; child: ChildProcess }[] = [];

  const spawnChild = (name: string, entry: string, onLine?: (line: string) => void) => {
    const nodeArgs = ['--import', 'tsx'];
    // One directory per process: V8 writes a profile per thread (tsx's loader runs in a worker thread).
    if (opts.profileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.profileDir}/${name}`);
    const child = spawn(process.execPath, [...nodeArgs, entry], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    tails.set(name, tail);
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        for (const line of parts) {
          if (!line) continue;
          tail.push(line);
          if (tail.length > 40) tail.shift();
          let level = stream === child.stderr ? 50 : 30;
          try {
            level = (JSON.parse(line) as { level?: number }).level ?? level;
          } catch {}
          if (level >= 40) lines.push({ at: Date.now(), source: name, level, text: line.slice(0, 500) });
          onLine?.(line);
        }
      });
    }
    children.push({ name, child });
    return child;
  };
  const exited = (child: ChildProcess, name: string) =>
    new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(
          new Error(
            `${name} exited during startup (${signal ?? code}):\n${(tails.get(name) ?? []).join('\n')}`,
          ),
        ),
      ),
    );

  const url = `http://127.0.0.1:${port}`;
  const stopProcesses = async () => {
    await Promise.all(
      children.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await done;
        clearTimeout(timer);
      }),
    );
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopProcesses();
    const redis = createRedis(opts.redisUrl, { name: 'agentq-bench-cleanup' });
    const queues = new Queues(redis, prefix);
    await Promise.allSettled(queues.all().map((q) => q.obliterate({ force: true })));
    await queues.close();
    // Keys outside the queues (heartbeats, the reconciler lock, rate-limit counters) and anything obliterate
    // left: the prefix is this run's own.
    await deleteKeys(redis, prefix).catch(() => {});
    await redis.quit().catch(() => {});
    await db.drop();
    await rm(workspace, { recursive: true, force: true });
  };

  try {
    const api = spawnChild('api', 'apps/api/src/main.ts');
    const apiUp = (async () => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        try {
          const res = await fetch(`${url}/health`);
          if (res.ok) return;
        } catch {}
        if (Date.now() > deadline) throw new Error('the API did not become healthy within 90 s');
        await sleep(200);
      }
    })();
    await Promise.race([apiUp, exited(api, 'api')]);
    api.removeAllListeners('exit');
    for (let i = 0; i < opts.workers; i++) {
      const name = opts.workers === 1 ? 'worker' : `worker-${i + 1}`;
      let ready: () => void = () => {};
      const started = new Promise<void>((resolve) => {
        ready = resolve;
      });
      const worker = spawnChild(name, 'apps/worker/src/main.ts', (line) => {
        if (line.includes('"worker started"')) ready();
      });
      await Promise.race([started, exited(worker, name)]);
      worker.removeAllListeners('exit');
    }
    opts.log(`  platform up: API ${url}, ${opts.workers} worker(s) × concurrency ${opts.concurrency}`);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    db,
    prefix,
    pids: {
      api: children.filter((c) => c.name === 'api').map((c) => c.child.pid ?? 0),
      worker: children.filter((c) => c.name.startsWith('worker')).map((c) => c.child.pid ?? 0),
    },
    problems: (since) => lines.filter((l) => l.at >= since),
    stopProcesses,
    stop,
  };
}

// ---------------------------------------------------------------------------------------------------------

export type ToolKind = 'current_time' | 'write_file';

export interface VariantSpec {
  name: string;
  jobs: number;
  /** Model responses per job: steps − 1 turns with one tool call each, then a final text. */
  steps: number;
  tool: ToolKind;
  submitConcurrency: number;
  /** db: the bench polls Postgres (cheap, counted and subtracted); http: one /status?wait= long-poll per job. */
  wait: 'db' | 'http';
  timeoutMs: number;
}

export interface XactReading {
  commit: number;
  rollback: number;
  /** Sessions ever opened to the database; each one's startup is a committed transaction of its own. */
  sessions: number;
  stable: boolean;
  at: number;
}

export interface CommitCount {
  /** xact_commit delta of the platform database over the run. */
  xactCommit: number;
  xactRollback: number;
  /** Sessions opened meanwhile (pool connections): their startup transactions are subtracted. */
  sessionsOpened: number;
  /** Transactions the bench itself ran on that database (completion polls, the results query). */
  benchQueries: number;
  /** The platform's commits: xact_commit − sessions opened − bench queries. */
  platform: number;
  perStep: number;
  perJob: number;
  /** Platform commits per second over the run. */
  perSecond: number;
  statsStable: boolean;
}

export interface VariantResult {
  name: string;
  jobs: number;
  steps: number;
  tool: ToolKind;
  toolPolicy: 'safe' | 'retry_with_key';
  wait: 'db' | 'http';
  statuses: Record<string, number>;
  totalSteps: number;
  submitSeconds: number;
  submitPerSecond: number;
  /** First submit to last finished_at. */
  seconds: number;
  jobsPerSecond: number;
  stepsPerSecond: number;
  /** ms: finished_at − created_at, started_at − created_at, finished_at − started_at. */
  latency: Distribution;
  queueWait: Distribution;
  runTime: Distribution;
  /** When waiting over HTTP: submit → the long-poll answered terminal, as the client saw it. */
  clientLatency: Distribution | undefined;
  /** Absent for warm-up runs. */
  commits: CommitCount | undefined;
  after: XactReading | undefined;
  cpu: CpuReport;
  /** The run on CLOCK_MONOTONIC in µs (the clock of V8's CPU profiles), to cut profiles to it. */
  monotonicUs: { from: number; to: number };
  problems: string[];
}

function scriptFor(spec: VariantSpec, jobIndex: number) {
  const turns: unknown[] = [];
  for (let i = 0; i < spec.steps - 1; i++) {
    // current_time without a zone is the cheapest call there is (the bench measures the platform, not the
    // tool); LOOP_DETECTION_THRESHOLD is raised to 100, and a zone every 50th call keeps streaks short.
    const input =
      spec.tool === 'current_time'
        ? i % 50 === 49
          ? { timezone: 'UTC' }
          : {}
        : { path: `bench/${spec.name}/${jobIndex}/${i}.txt`, content: `step ${i}` };
    turns.push({ tool_calls: [{ name: spec.tool, input }], usage: { input_tokens: 100, output_tokens: 20 } });
  }
  turns.push({ text: 'done', usage: { input_tokens: 100, output_tokens: 5 } });
  return turns;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Counters of a database from pg_stat_database, read over a connection to another database. */
export async function readXact(admin: PgClient, database: string): Promise<XactReading> {
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await admin.query<{ c: number; r: number; s: number }>(
    `SELECT xact_commit::float8 AS c, xact_rollback::float8 AS r, sessions::float8 AS s
     FROM pg_stat_database WHERE datname = $1`,
    [database],
  );
  const row = rows[0];
  if (!row) throw new Error(`no pg_stat_database row for ${database}`);
  return { commit: row.c, rollback: row.r, sessions: row.s, stable: false, at: Date.now() };
}

/**
 * Postgres 15 backends publish their counters when they go idle, but at most once a second: a backend that
 * published less than a second before going idle waits PGSTAT_IDLE_INTERVAL (10 s) — or its exit (idle pool
 * connections close after 10 s) — before publishing the rest. So: wait `minWaitMs` (10.5 s unless every
 * session of the database has ended), then read until two reads half a second apart agree.
 */
export async function settledXact(
  admin: PgClient,
  database: string,
  minWaitMs: number,
): Promise<XactReading> {
  await sleep(minWaitMs);
  let previous = await readXact(admin, database);
  for (let i = 0; i < 20; i++) {
    await sleep(500);
    const current = await readXact(admin, database);
    if (
      current.commit === previous.commit &&
      current.rollback === previous.rollback &&
      current.sessions === previous.sessions
    )
      return { ...current, stable: true };
    previous = current;
  }
  return previous;
}

export const STATS_IDLE_FLUSH_MS = 10_500;

/** process.hrtime and V8's profiler both read CLOCK_MONOTONIC. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Runs one batch of jobs. With `measure`, counts the platform's commits between `measure.before` and what
 * `measure.settle()` reads after the last job finished (the caller decides how to let the counters settle).
 */
export async function runVariant(
  platform: RunningPlatform,
  spec: VariantSpec,
  log: (line: string) => void,
  measure?: { before: XactReading; settle: () => Promise<XactReading> },
): Promise<VariantResult> {
  const poller = await connect(platform.db.url, 'agentq-bench-poller');
  let pollerOpen = true;
  try {
    const ids: string[] = new Array(spec.jobs);
    const submittedAt: number[] = new Array(spec.jobs);
    const clientDone: number[] = [];
    const waiters: Promise<void>[] = [];
    const since = Date.now();
    const endCpu = cpuWindow({
      trees: { api: platform.pids.api, worker: platform.pids.worker },
      databases: { platform: platform.db.name },
    });

    let waitFailure: unknown;
    const start = Date.now();
    const monotonicFrom = monotonicUs();
    await pool(spec.jobs, spec.submitConcurrency, async (i) => {
      submittedAt[i] = Date.now();
      const res = await http(
        'POST',
        `${platform.url}/submit`,
        JSON.stringify({
          task: `bench ${spec.name} #${i}`,
          model: 'scripted',
          max_steps: spec.steps,
          tools: [spec.tool],
          script: scriptFor(spec, i),
        }),
      );
      const text = res.body;
      if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${text.slice(0, 300)}`);
      const id = (JSON.parse(text) as { job_id: string }).job_id;
      ids[i] = id;
      if (spec.wait === 'http') {
        waiters.push(
          waitHttp(platform.url, id, submittedAt[i]!, clientDone).catch((error: unknown) => {
            waitFailure ??= error;
          }),
        );
      }
    });
    const submitSeconds = (Date.now() - start) / 1000;

    let benchQueries = 0;
    const deadline = start + spec.timeoutMs;
    if (spec.wait === 'http') {
      await withTimeout(
        Promise.all(waiters),
        Math.max(0, deadline - Date.now()),
        () => `${spec.name}: ${spec.jobs - clientDone.length} jobs still running after ${spec.timeoutMs} ms`,
      );
      if (waitFailure) throw waitFailure;
    } else {
      for (;;) {
        benchQueries++;
        const { rows } = await poller.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM job WHERE status IN ('queued', 'running')",
        );
        if (rows[0]?.n === 0) break;
        if (Date.now() > deadline)
          throw new Error(`${spec.name}: ${rows[0]?.n} jobs still queued/running after ${spec.timeoutMs} ms`);
        await sleep(100);
      }
    }
    const cpu = endCpu();
    const monotonicTo = monotonicUs();

    benchQueries++;
    const { rows } = await poller.query<{
      status: string;
      steps_used: number;
      created: number;
      started: number | null;
      finished: number | null;
    }>(
      `SELECT status, steps_used,
              extract(epoch FROM created_at)::float8 * 1000 AS created,
              extract(epoch FROM started_at)::float8 * 1000 AS started,
              extract(epoch FROM finished_at)::float8 * 1000 AS finished
       FROM job WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    // Ending the session publishes its counters at once (and its startup is counted in `sessions`).
    pollerOpen = false;
    await poller.end();

    const statuses: Record<string, number> = {};
    let totalSteps = 0;
    let lastFinished = 0;
    const latency: number[] = [];
    const queueWait: number[] = [];
    const runTime: number[] = [];
    for (const r of rows) {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      totalSteps += r.steps_used;
      if (r.finished !== null) {
        lastFinished = Math.max(lastFinished, r.finished);
        latency.push(r.finished - r.created);
        if (r.started !== null) runTime.push(r.finished - r.started);
      }
      if (r.started !== null) queueWait.push(r.started - r.created);
    }
    const notTerminal = rows.filter((r) => !TERMINAL.has(r.status)).length;
    if (rows.length !== spec.jobs || notTerminal > 0)
      throw new Error(`${spec.name}: ${rows.length} jobs found, ${notTerminal} not finished`);
    const seconds = (lastFinished - start) / 1000;

    let commits: CommitCount | undefined;
    let after: XactReading | undefined;
    if (measure) {
      after = await measure.settle();
      const xactCommit = after.commit - measure.before.commit;
      const sessionsOpened = after.sessions - measure.before.sessions;
      const platformCommits = xactCommit - sessionsOpened - benchQueries;
      commits = {
        xactCommit,
        xactRollback: after.rollback - measure.before.rollback,
        sessionsOpened,
        benchQueries,
        platform: platformCommits,
        perStep: platformCommits / totalSteps,
        perJob: platformCommits / spec.jobs,
        perSecond: platformCommits / seconds,
        statsStable: measure.before.stable && after.stable,
      };
    }
    const problems = platform.problems(since).map((l) => `[${l.source}] ${l.text}`);
    log(
      `  ${spec.name}: ${spec.jobs} jobs × ${spec.steps} steps in ${seconds.toFixed(2)} s ` +
        `(${(spec.jobs / seconds).toFixed(1)} jobs/s, ${(totalSteps / seconds).toFixed(0)} steps/s)` +
        (commits
          ? `, ${commits.perJob.toFixed(2)} commits/job, ${commits.perStep.toFixed(3)} commits/step` +
            ` (${commits.sessionsOpened} sessions opened)`
          : '') +
        `, statuses ${JSON.stringify(statuses)}`,
    );
    return {
      name: spec.name,
      jobs: spec.jobs,
      steps: spec.steps,
      tool: spec.tool,
      toolPolicy: spec.tool === 'current_time' ? 'safe' : 'retry_with_key',
      wait: spec.wait,
      statuses,
      totalSteps,
      submitSeconds,
      submitPerSecond: spec.jobs / submitSeconds,
      seconds,
      jobsPerSecond: spec.jobs / seconds,
      stepsPerSecond: totalSteps / seconds,
      latency: distribution(latency),
      queueWait: distribution(queueWait),
      runTime: distribution(runTime),
      clientLatency: spec.wait === 'http' ? distribution(clientDone) : undefined,
      commits,
      after,
      cpu,
      monotonicUs: { from: monotonicFrom, to: monotonicTo },
      problems,
    };
  } finally {
    if (pollerOpen) await poller.end().catch(() => {});
  }
}

async function waitHttp(url: string, id: string, submittedAt: number, done: number[]): Promise<void> {
  for (;;) {
    const res = await http('GET', `${url}/status/${id}?wait=30`);
    if (res.status !== 200) throw new Error(`status ${id} answered ${res.status}`);
    const body = JSON.parse(res.body) as { status: string };
    if (TERMINAL.has(body.status)) {
      done.push(Date.now() - submittedAt);
      return;
    }
  }
}

// node:http with keep-alive rather than fetch: the driver shares the machine with what it measures, and
// undici's fetch costs more CPU per request (compare the driver's CPU row).
const agent = new Agent({ keepAlive: true, maxSockets: 1_024 });

function http(method: string, url: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: body
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
