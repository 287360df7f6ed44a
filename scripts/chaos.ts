// `pnpm chaos`: proves the durability promise with real processes. It starts the API and several worker
// processes (on a fresh database and a Redis server of its own), submits multi-step jobs whose
// http_request calls hit a local receiver that records every request with its Idempotency-Key, SIGKILLs
// workers at random moments (including between a call's side effect and its checkpoint: the receiver
// answers slowly) and restarts them, restarts Redis empty once, then checks that every job succeeded,
// every logical call reached the receiver under exactly one key, repeats happened only across a kill,
// and nothing is stuck.
//
//   pnpm chaos                 # full run: 40 jobs × 5 steps, 3 workers, ≥ 12 kills, one Redis restart
//   pnpm chaos --short         # the CI form
//   pnpm chaos --jobs 80 --kills 20 --no-redis-restart
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { parseArgs } from 'node:util';
import { createDb, JobsRepo, migrate } from '@agentq/db';
import { dropDatabase, testDatabaseUrl } from '@agentq/db/testing';
import { createRedis, Queues } from '@agentq/queue';

const { values: args } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    jobs: { type: 'string' },
    steps: { type: 'string' },
    workers: { type: 'string' },
    kills: { type: 'string' },
    'no-redis-restart': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const JOBS = Number(args.jobs ?? (args.short ? 24 : 36));
const STEPS = Number(args.steps ?? (args.short ? 6 : 8));
const WORKERS = Number(args.workers ?? 3);
const MIN_KILLS = Number(args.kills ?? (args.short ? 10 : 12));
const REDIS_RESTART = !args['no-redis-restart'];
const DEADLINE_MS = 240_000;

const log = (line: string) =>
  console.log(`[chaos ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const t0 = Date.now();

async function freePort(): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

// --- the receiver: the "downstream API" whose side effects we count --------------------------------
interface Receipt {
  path: string;
  key: string;
  at: number;
}
const receipts: Receipt[] = [];
function startReceiver(): Promise<Server> {
  const server = createServer((req, res) => {
    receipts.push({ path: req.url ?? '', key: String(req.headers['idempotency-key'] ?? ''), at: Date.now() });
    req.resume();
    // The side effect has happened; the answer (and so the checkpoint) comes later: kills land in between.
    setTimeout(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
      rand(20, 400),
    );
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

// --- processes ----------------------------------------------------------------------------------------
const redisPort = await freePort();
const apiPort = await freePort();
const dbName = `agentq_chaos_${randomBytes(4).toString('hex')}`;
const databaseUrl = testDatabaseUrl(dbName);
const env = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  QUEUE_PREFIX: 'chaos',
  PORT: String(apiPort),
  HTTP_TOOL_ALLOW_PRIVATE: 'true',
  // The workers that survive a kill have a slot for every job: a taken-over job must not wait behind others
  // for the killed worker to boot again, or "takeover" would measure capacity.
  WORKER_CONCURRENCY: String(Math.ceil(JOBS / Math.max(1, WORKERS - 1)) + 2),
  RECONCILE_INTERVAL_MS: '5000',
  LOG_LEVEL: args.verbose ? 'info' : 'warn',
  LOG_PRETTY: 'false',
  API_KEYS: '',
};

const children = new Set<ChildProcess>();
function spawnChild(name: string, command: string, argv: string[]): ChildProcess {
  const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const forward = (chunk: Buffer) => {
    if (args.verbose) for (const l of chunk.toString().split('\n')) if (l) console.log(`  [${name}] ${l}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  child.on('exit', () => children.delete(child));
  return child;
}
const startRedis = () =>
  spawnChild('redis', 'redis-server', [
    '--port',
    String(redisPort),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
const startNode = (name: string, entry: string) =>
  spawnChild(name, process.execPath, ['--import', 'tsx', entry]);

async function waitHttp(url: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

function stopAll(): void {
  for (const c of children) c.kill('SIGKILL');
}
process.on('exit', stopAll);

// --- the run -------------------------------------------------------------------------------------------
const receiver = await startReceiver();
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
await migrate(databaseUrl);
const db = createDb(databaseUrl, { maxConnections: 2 });
let redis = startRedis();
await sleep(300);
const api = startNode('api', 'apps/api/src/main.ts');
const workers: ChildProcess[] = [];
for (let i = 0; i < WORKERS; i++) workers.push(startNode(`worker${i}`, 'apps/worker/src/main.ts'));
await waitHttp(`http://127.0.0.1:${apiPort}/health`);
log(`API on :${apiPort}, ${WORKERS} workers, Redis on :${redisPort}, database ${dbName}`);

const jobIds: string[] = [];
for (let n = 0; n < JOBS; n++) {
  const script = [
    ...Array.from({ length: STEPS }, (_, i) => ({
      tool_calls: [
        {
          name: 'http_request',
          input: { method: 'POST', url: `${receiverUrl}/j/${n}/s/${i}`, body: `step ${i}` },
        },
      ],
      delay_ms: Math.round(rand(500, 3_000)),
    })),
    { text: `job ${n} done` },
  ];
  const res = await fetch(`http://127.0.0.1:${apiPort}/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `chaos-${n}` },
    body: JSON.stringify({
      task: `chaos job ${n}`,
      model: 'scripted',
      script,
      tools: ['http_request'],
      max_steps: STEPS + 1,
    }),
  });
  if (res.status !== 202) throw new Error(`submit ${n}: ${res.status} ${await res.text()}`);
  jobIds.push(((await res.json()) as { job_id: string }).job_id);
}
log(`submitted ${JOBS} jobs × ${STEPS} tool steps`);

const pending = async () =>
  (
    await db.prisma.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM job WHERE status NOT IN ('succeeded','failed','cancelled')`
  )[0]?.n ?? 0;
const ownedBy = async (pid: number) =>
  (
    await db.prisma.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM job WHERE status = 'running' AND lease_owner LIKE ${`%:${pid}:%`}`
  ).map((r) => r.id);

interface Kill {
  at: number;
  pid: number;
  jobs: string[];
  takeoverMs: number[];
}
const kills: Kill[] = [];
let redisRestarts = 0;

async function measureTakeover(kill: Kill): Promise<void> {
  for (const id of kill.jobs) {
    const end = kill.at + 60_000;
    while (Date.now() < end) {
      const row = (
        await db.prisma.$queryRaw<
          { status: string; lease_owner: string | null }[]
        >`SELECT status, lease_owner FROM job WHERE id = ${id}::uuid`
      )[0];
      if (
        row &&
        (row.status !== 'running' || (row.lease_owner && !row.lease_owner.includes(`:${kill.pid}:`)))
      ) {
        kill.takeoverMs.push(Date.now() - kill.at);
        break;
      }
      await sleep(100);
    }
  }
}

const takeovers: Promise<void>[] = [];
let redisRestartAt = 0;
let redisRecoveryMs: number | undefined;

/** After a Redis restart: how long until every job Postgres says is queued or running is back in a queue. */
async function measureRedisRecovery(restartedAt: number): Promise<void> {
  const queues = new Queues(createRedis(env.REDIS_URL), env.QUEUE_PREFIX);
  const repo = new JobsRepo(db);
  const inQueue = new Set(['waiting', 'active', 'delayed', 'prioritized']);
  try {
    while (Date.now() - restartedAt < 60_000) {
      const active = await repo.activeJobs().catch(() => undefined);
      if (active) {
        const states = await Promise.all(
          active.map((j) =>
            queues
              .queue('agentRun')
              .getJobState(j.id)
              .catch(() => 'unknown'),
          ),
        );
        if (states.every((st) => inQueue.has(st))) {
          redisRecoveryMs = Date.now() - restartedAt;
          return;
        }
      }
      await sleep(250);
    }
  } finally {
    await queues.close();
  }
}

const deadline = Date.now() + DEADLINE_MS;
while (Date.now() < deadline && kills.length < MIN_KILLS) {
  await sleep(rand(1_500, 4_000));
  if ((await pending()) === 0) {
    if (kills.length < MIN_KILLS)
      log(`all jobs finished after ${kills.length} kills (wanted ${MIN_KILLS}): add --jobs`);
    break;
  }
  if (REDIS_RESTART && redisRestarts === 0 && kills.length >= Math.floor(MIN_KILLS / 2)) {
    redis.kill('SIGKILL');
    await new Promise((r) => redis.once('exit', r));
    redis = startRedis();
    redisRestarts += 1;
    redisRestartAt = Date.now();
    takeovers.push(measureRedisRecovery(redisRestartAt));
    log('Redis killed and restarted empty');
    continue;
  }
  // Kill the worker holding the most running jobs (the interesting case), at a random moment of its work.
  const holdings = await Promise.all(workers.map(async (w) => (w.pid ? (await ownedBy(w.pid)).length : -1)));
  const most = Math.max(...holdings);
  const candidates = workers.map((_, i) => i).filter((i) => holdings[i] === most);
  const index = candidates[Math.floor(Math.random() * candidates.length)] ?? 0;
  const victim = workers[index];
  if (!victim?.pid) continue;
  const owned = await ownedBy(victim.pid);
  victim.kill('SIGKILL');
  const kill: Kill = { at: Date.now(), pid: victim.pid, jobs: owned, takeoverMs: [] };
  kills.push(kill);
  takeovers.push(measureTakeover(kill));
  workers[index] = startNode(`worker${index}'`, 'apps/worker/src/main.ts');
  log(
    `SIGKILL worker pid ${victim.pid} holding ${owned.length} running job(s); restarted it (${kills.length} kills, ${await pending()} jobs pending)`,
  );
}
// No more kills: the jobs still running drain, and must all finish.
while (Date.now() < deadline && (await pending()) > 0) await sleep(250);
const left = await pending();
if (left > 0) log(`${left} job(s) not finished by the deadline`);
await Promise.all(takeovers);

// --- the checks ---------------------------------------------------------------------------------------
const jobs = await db.prisma.$queryRaw<{ id: string; status: string; error: unknown; steps_used: number }[]>`
  SELECT id::text, status, error, steps_used FROM job ORDER BY created_at`;
const failures: string[] = [];
const notSucceeded = jobs.filter((j) => j.status !== 'succeeded');
if (notSucceeded.length > 0) {
  failures.push(
    `${notSucceeded.length} job(s) did not succeed: ${notSucceeded
      .slice(0, 5)
      .map((j) => `${j.id} ${j.status} ${JSON.stringify(j.error)}`)
      .join('; ')}`,
  );
}
if (jobs.length !== JOBS)
  failures.push(`expected ${JOBS} jobs, found ${jobs.length} (an idempotent submit created a duplicate?)`);

let repeats = 0;
let repeatsAcrossKill = 0;
let logicalCalls = 0;
for (const [n, id] of jobIds.entries()) {
  for (let i = 0; i < STEPS; i++) {
    logicalCalls += 1;
    const hits = receipts.filter((r) => r.path === `/j/${n}/s/${i}`);
    const keys = new Set(hits.map((h) => h.key));
    const expected = `aq_${id}_${i}_0`;
    if (hits.length === 0) failures.push(`job ${n} step ${i} never reached the receiver`);
    else if (keys.size !== 1 || !keys.has(expected)) {
      failures.push(
        `job ${n} step ${i} reached the receiver under keys ${[...keys].join(', ')} (expected only ${expected})`,
      );
    }
    if (hits.length > 1) {
      repeats += hits.length - 1;
      const first = hits[0]!.at;
      const last = hits[hits.length - 1]!.at;
      const crashed = kills.some((k) => k.at >= first && k.at <= last);
      if (crashed) repeatsAcrossKill += hits.length - 1;
      else failures.push(`job ${n} step ${i} was repeated ${hits.length - 1}× without a kill in between`);
    }
  }
}
const stuck = await db.prisma.$queryRaw<{ n: number }[]>`
  SELECT count(*)::int AS n FROM tool_call WHERE status IN ('pending', 'running')`;
if ((stuck[0]?.n ?? 0) > 0) failures.push(`${stuck[0]?.n} tool call(s) left pending or running`);
if (kills.length < MIN_KILLS) failures.push(`only ${kills.length} kills (wanted ${MIN_KILLS})`);

// A takeover whose window contains the Redis restart goes through the reconciler (bound: 30 s), not through
// BullMQ's stalled-job check (bound: 15 s p95): they are reported apart.
const overlapsRestart = (k: Kill, ms: number) =>
  redisRestartAt > 0 && k.at <= redisRestartAt && redisRestartAt <= k.at + ms;
const clean = kills
  .flatMap((k) => k.takeoverMs.filter((ms) => !overlapsRestart(k, ms)))
  .sort((a, b) => a - b);
const viaReconciler = kills.flatMap((k) => k.takeoverMs.filter((ms) => overlapsRestart(k, ms)));
const heldTotal = kills.reduce((n, k) => n + k.jobs.length, 0);
const measured = kills.reduce((n, k) => n + k.takeoverMs.length, 0);
const pct = (q: number) =>
  clean.length ? clean[Math.min(clean.length - 1, Math.floor(q * clean.length))]! : 0;
const p95 = pct(0.95);
if (measured < heldTotal)
  failures.push(`${heldTotal - measured} job(s) of killed workers were not taken over within 60 s`);
if (p95 > 15_000) failures.push(`SIGKILL takeover p95 ${p95} ms is over 15 s`);
if (viaReconciler.some((ms) => ms > 30_000))
  failures.push(
    `a job was taken over ${Math.max(...viaReconciler)} ms after a kill across the Redis restart (over 30 s)`,
  );
if (redisRestarts > 0 && (redisRecoveryMs === undefined || redisRecoveryMs > 30_000)) {
  failures.push(
    `after the Redis restart, lost jobs were not all re-enqueued within 30 s (${redisRecoveryMs ?? 'never'} ms)`,
  );
}

const row = (k: string, v: string | number) => console.log(`  ${k.padEnd(34)} ${String(v)}`);
console.log('\nchaos summary');
row('jobs submitted / succeeded', `${JOBS} / ${jobs.filter((j) => j.status === 'succeeded').length}`);
row('logical tool calls', logicalCalls);
row('receiver requests', receipts.length);
row('repeated requests (all across a kill)', `${repeats} (${repeatsAcrossKill})`);
row('distinct keys per logical call', failures.some((f) => f.includes('keys')) ? 'NOT 1' : '1');
row('worker SIGKILLs', kills.length);
row('Redis restarts (empty)', redisRestarts);
row('jobs held by killed workers', heldTotal);
if (args.verbose)
  for (const k of kills)
    console.log(`  kill pid ${k.pid}: jobs ${k.jobs.length}, takeover ms ${k.takeoverMs.join(', ')}`);
row(
  'SIGKILL takeover p50 / p95 / max',
  `${pct(0.5)} / ${p95} / ${clean.at(-1) ?? 0} ms (${clean.length} jobs)`,
);
row(
  'takeover across the Redis restart',
  viaReconciler.length ? `max ${Math.max(...viaReconciler)} ms (${viaReconciler.length} jobs)` : '-',
);
row('Redis restart → all lost jobs queued', redisRestarts ? `${redisRecoveryMs ?? 'never'} ms` : '-');
row('wall time', `${((Date.now() - t0) / 1000).toFixed(1)} s`);
row('result', failures.length === 0 ? 'PASS' : 'FAIL');
for (const f of failures) console.log(`  ✗ ${f}`);

api.kill('SIGTERM');
for (const w of workers) w.kill('SIGTERM');
await sleep(1_500);
stopAll();
await db.close();
receiver.close();
await dropDatabase(dbName).catch(() => {});
process.exit(failures.length === 0 ? 0 : 1);
