// Phase 2, the raw Postgres floor: single-row INSERT commits on a bench table in a fresh database, from a few
// concurrent clients, with raw node-postgres and (for comparison) through Prisma's $executeRaw, which is
// the path every platform write takes. Also the bare round trip (SELECT 1) of both.
import { createTestDatabase } from '@agentq/db/testing';
import { cpuWindow } from './cpu.ts';
import { connect, type PgClient } from './pg.ts';
import { type Distribution, distribution, nowMs } from './stats.ts';

export interface LoopResult {
  clients: number;
  commits: number;
  seconds: number;
  perSecond: number;
  /** Per-commit latency, ms. */
  latency: Distribution;
}

export interface PostgresResult {
  database: string;
  settings: Record<string, string>;
  pg: LoopResult;
  /** CPU of the 4-client pg loop (this process + the database's backends), per commit, µs. */
  pgCpuPerCommitMicros: number;
  pgSingle: LoopResult;
  prisma: LoopResult | undefined;
  /** SELECT 1 round trip, ms, one client. */
  roundTrip: { pg: Distribution; prisma: Distribution | undefined };
}

/** Runs each task in its own loop until `seconds` have passed. */
async function timedLoop(seconds: number, tasks: (() => Promise<unknown>)[]): Promise<LoopResult> {
  const latencies: number[] = [];
  const start = nowMs();
  const deadline = start + seconds * 1000;
  await Promise.all(
    tasks.map(async (task) => {
      while (nowMs() < deadline) {
        const t = nowMs();
        await task();
        latencies.push(nowMs() - t);
      }
    }),
  );
  const elapsed = (nowMs() - start) / 1000;
  return {
    clients: tasks.length,
    commits: latencies.length,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    latency: distribution(latencies),
  };
}

async function roundTrips(n: number, task: () => Promise<unknown>): Promise<Distribution> {
  for (let i = 0; i < 20; i++) await task();
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = nowMs();
    await task();
    latencies.push(nowMs() - t);
  }
  return distribution(latencies);
}

export async function runRawPostgres(opts: {
  seconds: number;
  clients: number;
  prisma: boolean;
  log: (line: string) => void;
}): Promise<PostgresResult> {
  const db = await createTestDatabase('bench_raw');
  const clients: PgClient[] = [];
  try {
    for (let k = 0; k < opts.clients; k++) clients.push(await connect(db.url, `agentq-bench-raw-${k}`));
    const first = clients[0]!;
    await first.query(`CREATE TABLE bench_commit (
      id bigserial PRIMARY KEY, client int NOT NULL, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    const settings: Record<string, string> = {};
    for (const name of [
      'server_version',
      'synchronous_commit',
      'fsync',
      'wal_sync_method',
      'shared_buffers',
    ]) {
      const { rows } = await first.query<Record<string, string>>(`SHOW ${name}`);
      settings[name] = rows[0]?.[name] ?? '?';
    }
    const insert = (c: PgClient, k: number) => () =>
      c.query('INSERT INTO bench_commit (client, payload) VALUES ($1, $2)', [k, 'bench']);
    for (const [k, c] of clients.entries()) for (let i = 0; i < 20; i++) await insert(c, k)();

    const endCpu = cpuWindow({ trees: {}, databases: { raw: db.name } });
    const pgRun = await timedLoop(
      opts.seconds,
      clients.map((c, k) => insert(c, k)),
    );
    const cpu = endCpu();
    const pgCpu = (cpu.seconds['bench driver'] ?? 0) + (cpu.seconds['postgres (raw)'] ?? 0);
    opts.log(`  pg, ${opts.clients} clients: ${pgRun.perSecond.toFixed(0)} commits/s`);
    const pgSingle = await timedLoop(Math.min(1, opts.seconds), [insert(first, 0)]);
    opts.log(`  pg, 1 client: ${pgSingle.perSecond.toFixed(0)} commits/s`);
    const pgRoundTrip = await roundTrips(500, () => first.query('SELECT 1'));

    let prismaRun: LoopResult | undefined;
    let prismaRoundTrip: Distribution | undefined;
    if (opts.prisma) {
      const prisma = db.prisma; // the platform's client factory (driver adapter over pg), pool of 5
      const prismaInsert = (k: number) => () =>
        prisma.$executeRaw`INSERT INTO bench_commit (client, payload) VALUES (${k}, ${'bench'})`;
      for (let i = 0; i < 20; i++) await prismaInsert(0)();
      prismaRun = await timedLoop(
        opts.seconds,
        clients.map((_, k) => prismaInsert(k)),
      );
      opts.log(`  prisma $executeRaw, ${opts.clients} clients: ${prismaRun.perSecond.toFixed(0)} commits/s`);
      prismaRoundTrip = await roundTrips(500, () => prisma.$queryRaw`SELECT 1`);
    }
    return {
      database: db.name,
      settings,
      pg: pgRun,
      pgCpuPerCommitMicros: (pgCpu * 1e6) / pgRun.commits,
      pgSingle,
      prisma: prismaRun,
      roundTrip: { pg: pgRoundTrip, prisma: prismaRoundTrip },
    };
  } finally {
    await Promise.allSettled(clients.map((c) => c.end()));
    await db.drop();
  }
}
