// `pnpm agentq …`: API keys and tenant limits, straight against Postgres (DATABASE_URL, or .env).
//
//   pnpm agentq keys create --tenant acme [--name ci]      prints the new key once
//   pnpm agentq keys list [--tenant acme]
//   pnpm agentq keys revoke <key id>
//   pnpm agentq tenants set --tenant acme [--daily-cost-cap-usd 25] [--max-running-jobs 5] [--submits-per-minute 60]
//   pnpm agentq tenants list
//
// Every command takes --json for machine-readable output. Exit codes: 0 done, 1 failed (e.g. unknown key),
// 2 usage error, 78 bad configuration.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadDotEnv } from '@agentq/config';
import { createDb, type Prisma, type TenantLimits, TenantsRepo } from '@agentq/db';
import { createApiKey, revokeApiKey } from './keys.ts';

const USAGE = `usage: pnpm agentq <command> [options]

  keys create --tenant <id> [--name <label>]   create an API key (printed once; only its hash is stored)
  keys list [--tenant <id>]                    list keys (id, tenant, prefix, name, created, revoked)
  keys revoke <key id>                         revoke a key (running APIs notice within 10 s)
  tenants set --tenant <id> [--daily-cost-cap-usd <usd>] [--max-running-jobs <n>]
              [--submits-per-minute <n>]       create a tenant or change its limits;
                                               "default" puts a limit back to the deployment default
  tenants list                                 list tenants and their limits

  --json   print JSON instead of text
  --help   this text`;

class UsageError extends Error {}
class Failure extends Error {}

const TENANT_ID = /^[A-Za-z0-9._@-]{1,200}$/;

function tenantId(value: string | undefined, required: boolean): string | undefined {
  if (value === undefined) {
    if (required) throw new UsageError('--tenant <id> is required');
    return undefined;
  }
  if (!TENANT_ID.test(value))
    throw new UsageError(`--tenant: "${value}" is not a tenant id (1-200 letters, digits, . _ @ -)`);
  return value;
}

/** A limit option: absent → undefined (unchanged), "default"/"none" → null (cleared), else a number. */
function limit(name: string, value: string | undefined, kind: 'int' | 'usd'): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'default' || value === 'none') return null;
  const n = Number(value);
  const ok =
    value.trim() !== '' &&
    Number.isFinite(n) &&
    (kind === 'int' ? Number.isInteger(n) && n >= 1 && n <= 2_147_483_647 : n > 0 && n < 1_000_000);
  if (!ok) {
    throw new UsageError(
      kind === 'int'
        ? `--${name}: "${value}" must be a whole number ≥ 1 (or "default")`
        : `--${name}: "${value}" must be a positive amount in USD below 1000000 (or "default")`,
    );
  }
  return n;
}

const table = (rows: Record<string, unknown>[], columns: string[]): string => {
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
};

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

async function run(argv: string[], prisma: () => Prisma, io: Io): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      'daily-cost-cap-usd': { type: 'string' },
      'max-running-jobs': { type: 'string' },
      'submits-per-minute': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals[0] === 'help') {
    io.out(USAGE);
    return;
  }
  const [group, action, ...rest] = positionals;
  const command = [group, action].filter(Boolean).join(' ');
  const extra = (allowed: number) => {
    if (rest.length > allowed) throw new UsageError(`${command}: unexpected argument "${rest[allowed]}"`);
  };
  const only = (...allowed: string[]) => {
    const given = Object.entries(values)
      .filter(([k, v]) => k !== 'json' && k !== 'help' && v !== undefined)
      .map(([k]) => k);
    const wrong = given.filter((k) => !allowed.includes(k));
    if (wrong.length > 0) throw new UsageError(`${command}: unknown option --${wrong[0]}`);
  };
  const print = (json: unknown, text: string) => io.out(values.json ? JSON.stringify(json, null, 2) : text);

  switch (command) {
    case 'keys create': {
      extra(0);
      only('tenant', 'name');
      const tenant = tenantId(values.tenant, true)!;
      if (values.name !== undefined && (values.name.length < 1 || values.name.length > 200))
        throw new UsageError('--name: 1-200 characters');
      const { id, key } = await createApiKey(prisma(), tenant, values.name);
      print(
        { id, tenant, name: values.name ?? null, key },
        `key:    ${key}\nid:     ${id}\ntenant: ${tenant}`,
      );
      io.err('Store this key now: it is shown only once (agentq keeps only its hash).');
      return;
    }
    case 'keys list': {
      extra(0);
      only('tenant');
      const keys = await new TenantsRepo(prisma()).listKeys(tenantId(values.tenant, false));
      print(
        keys,
        keys.length === 0
          ? 'no API keys (the API runs open as tenant "default")'
          : table(keys as unknown as Record<string, unknown>[], [
              'id',
              'tenant_id',
              'prefix',
              'name',
              'created_at',
              'revoked_at',
            ]),
      );
      return;
    }
    case 'keys revoke': {
      only();
      const id = rest[0];
      if (!id) throw new UsageError('keys revoke: which key? give its id (see `pnpm agentq keys list`)');
      extra(1);
      if (!(await revokeApiKey(prisma(), id))) throw new Failure(`no active API key with id "${id}"`);
      print({ id, revoked: true }, `revoked ${id} (running APIs stop accepting it within 10 s)`);
      return;
    }
    case 'tenants set': {
      extra(0);
      only('tenant', 'daily-cost-cap-usd', 'max-running-jobs', 'submits-per-minute');
      const tenant = tenantId(values.tenant, true)!;
      const changes: Partial<TenantLimits> = {};
      const cap = limit('daily-cost-cap-usd', values['daily-cost-cap-usd'], 'usd');
      const running = limit('max-running-jobs', values['max-running-jobs'], 'int');
      const perMinute = limit('submits-per-minute', values['submits-per-minute'], 'int');
      if (cap !== undefined) changes.dailyCostCapUsd = cap;
      if (running !== undefined) changes.maxConcurrentJobs = running;
      if (perMinute !== undefined) changes.submitsPerMinute = perMinute;
      const row = await new TenantsRepo(prisma()).set(tenant, changes);
      const show = (v: number | null) => (v === null ? 'default' : String(v));
      print(
        row,
        `tenant ${row.id}\n  daily cost cap (USD):  ${show(row.daily_cost_cap_usd)}\n  max running jobs:      ${show(row.max_concurrent_jobs)}\n  submits per minute:    ${show(row.submits_per_minute)}`,
      );
      return;
    }
    case 'tenants list': {
      extra(0);
      only();
      const rows = await new TenantsRepo(prisma()).list();
      print(
        rows,
        table(rows as unknown as Record<string, unknown>[], [
          'id',
          'daily_cost_cap_usd',
          'max_concurrent_jobs',
          'submits_per_minute',
          'created_at',
        ]),
      );
      return;
    }
    default:
      throw new UsageError(command === '' ? 'no command given' : `unknown command "${command}"`, {
        cause: 'show usage',
      });
  }
}

/** Runs one command; returns the exit code. `prisma` is called only by commands that need the database. */
export async function runCli(argv: string[], io: Io, prisma: () => Prisma): Promise<number> {
  try {
    await run(argv, prisma, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const full = error instanceof UsageError && error.cause === 'show usage';
      io.err(`agentq: ${(error as Error).message}\n${full ? `\n${USAGE}` : 'see `pnpm agentq --help`'}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(error.message);
      return 78;
    }
    io.err(`agentq: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function main(): Promise<number> {
  const io: Io = { out: (t) => console.log(t), err: (t) => console.error(t) };
  let db: ReturnType<typeof createDb> | undefined;
  try {
    return await runCli(process.argv.slice(2), io, () => {
      if (!db) {
        loadDotEnv();
        db = createDb(loadConfig().DATABASE_URL, { maxConnections: 1 });
      }
      return db.prisma;
    });
  } finally {
    await db?.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = await main();
