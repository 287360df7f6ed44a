// The migration runner against the machine's Postgres: every test works on its own database
// (agentq_t_<random>), dropped in afterAll. Nothing is mocked.
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionString } from '../src/connection-string.ts';
import { ensureDatabase, MIGRATIONS_DIR, MigrationError, migrate } from '../src/migrate.ts';
import { dropDatabase, testDatabaseUrl } from '../src/testing.ts';

const created: string[] = [];
const tempDirs: string[] = [];

/** A database name no other test (or test run) uses; dropped in afterAll. */
function freshName(): string {
  const name = `agentq_t_${randomBytes(5).toString('hex')}`;
  created.push(name);
  return name;
}

afterAll(async () => {
  await Promise.all(created.map((name) => dropDatabase(name)));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: connectionString(url) });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const databaseExists = async (name: string) =>
  (await query(testDatabaseUrl('postgres'), 'SELECT 1 FROM pg_database WHERE datname = $1', [name]))
    .length === 1;

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
  logs: string | null;
}

const recorded = (url: string) =>
  query<MigrationRow>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name, started_at');

const tableExists = async (url: string, table: string) =>
  (await query<{ t: string | null }>(url, 'SELECT to_regclass($1)::text AS t', [`public.${table}`]))[0]?.t !=
  null;

/** The repository's migrations as this test reads them (independently of listMigrations). */
async function repoMigrations(dir = MIGRATIONS_DIR): Promise<{ name: string; checksum: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      checksum: createHash('sha256')
        .update(await readFile(join(dir, name, 'migration.sql')))
        .digest('hex'),
    })),
  );
}

/** A private copy of prisma/migrations that a test may change. */
async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'agentq-migrations-'));
  tempDirs.push(dir);
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, 'migration.sql'), sql);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('migrate', () => {
  it('creates the database when it is missing, and only then', async () => {
    const name = freshName();
    const url = testDatabaseUrl(name);
    expect(await databaseExists(name)).toBe(false);
    const lines: string[] = [];
    await migrate(url, { log: (l) => lines.push(l) });
    expect(await databaseExists(name)).toBe(true);
    expect(lines).toContain(`created database ${name}`);
    expect(await ensureDatabase(url)).toBe(false);
  });

  it('applies every migration and records it in _prisma_migrations exactly as Prisma does', async () => {
    const url = testDatabaseUrl(freshName());
    const expected = await repoMigrations();
    expect(expected.length).toBeGreaterThan(0);

    const result = await migrate(url);
    expect(result).toEqual({ applied: expected.map((m) => m.name), alreadyApplied: [] });

    const rows = await recorded(url);
    expect(rows.map((r) => r.migration_name)).toEqual(expected.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      expect(row.id).toMatch(UUID);
      expect(row.checksum).toBe(expected[i]!.checksum);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);

    // The table has Prisma's own shape, so `prisma migrate deploy` can read it later.
    const columns = await query<{ column_name: string; data_type: string; is_nullable: string }>(
      url,
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_name = '_prisma_migrations' ORDER BY column_name`,
    );
    expect(columns).toEqual([
      { column_name: 'applied_steps_count', data_type: 'integer', is_nullable: 'NO' },
      { column_name: 'checksum', data_type: 'character varying', is_nullable: 'NO' },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
      { column_name: 'id', data_type: 'character varying', is_nullable: 'NO' },
      { column_name: 'logs', data_type: 'text', is_nullable: 'YES' },
      { column_name: 'migration_name', data_type: 'character varying', is_nullable: 'NO' },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
      { column_name: 'started_at', data_type: 'timestamp with time zone', is_nullable: 'NO' },
    ]);
    // And the schema really is there.
    expect(await tableExists(url, 'job')).toBe(true);
  });

  it('applies nothing on a second run', async () => {
    const url = testDatabaseUrl(freshName());
    const names = (await repoMigrations()).map((m) => m.name);
    await migrate(url);
    const before = await recorded(url);
    const second = await migrate(url);
    expect(second).toEqual({ applied: [], alreadyApplied: names });
    expect(await recorded(url)).toEqual(before);
  });

  it('applies each migration exactly once when 4 runners race on a fresh (empty) database', async () => {
    const name = freshName();
    const url = testDatabaseUrl(name);
    await ensureDatabase(url); // exists, nothing applied: the race is over the advisory lock
    const names = (await repoMigrations()).map((m) => m.name);

    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(url)));

    const appliedBy = results.flatMap((r) => r.applied).sort();
    expect(appliedBy).toEqual(names);
    for (const r of results) expect([...r.applied, ...r.alreadyApplied].sort()).toEqual(names);
    expect((await recorded(url)).map((r) => r.migration_name)).toEqual(names);
  });

  // BUG (packages/db/src/migrate.ts:57): ensureDatabase only tolerates 42P04 (duplicate_database) when
  // another process creates the database between its check and its CREATE DATABASE, but concurrent
  // CREATE DATABASE of the same name fails with 23505 (unique violation on pg_database_datname_index),
  // so every losing runner throws instead of going on to migrate. Reproduced 30/30 locally.
  it('succeeds for every one of several runners racing on a missing database', async () => {
    const url = testDatabaseUrl(freshName());
    const names = (await repoMigrations()).map((m) => m.name);
    const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map(() => migrate(url)));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
    expect((await recorded(url)).map((r) => r.migration_name)).toEqual(names);
  });

  it('refuses a migration whose file changed after it was applied, naming it', async () => {
    const dir = await copyOfMigrations();
    const url = testDatabaseUrl(freshName());
    await migrate(url, { dir });
    const [first] = await repoMigrations(dir);
    const file = join(dir, first!.name, 'migration.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited afterwards\n`);

    const error = await migrate(url, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(first!.name);
    expect((error as Error).message).toMatch(/changed/);
    // The recorded checksum is untouched.
    expect((await recorded(url))[0]?.checksum).toBe(first!.checksum);
  });

  it('rolls back a failing migration completely and names it; the fixed migration applies next run', async () => {
    const dir = await copyOfMigrations();
    const url = testDatabaseUrl(freshName());
    const base = (await repoMigrations(dir)).map((m) => m.name);
    const broken = '29990101000000_broken';
    await addMigration(
      dir,
      broken,
      `CREATE TABLE "partial_table" ("id" INTEGER PRIMARY KEY);
       INSERT INTO "partial_table" VALUES (1);
       ALTER TABLE "job" ADD COLUMN "partial_column" TEXT;
       SELECT 1 / 0;`,
    );

    const error = await migrate(url, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(broken);
    expect((error as Error).message).toMatch(/division by zero/);

    // The earlier migrations were applied and recorded; nothing of the broken one remains.
    expect((await recorded(url)).map((r) => r.migration_name)).toEqual(base);
    expect(await tableExists(url, 'partial_table')).toBe(false);
    const partialColumn = await query(
      url,
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'job' AND column_name = 'partial_column'`,
    );
    expect(partialColumn).toEqual([]);

    // Fixed, it applies on the next run.
    await writeFile(
      join(dir, broken, 'migration.sql'),
      'CREATE TABLE "partial_table" ("id" INTEGER PRIMARY KEY);',
    );
    const next = await migrate(url, { dir });
    expect(next).toEqual({ applied: [broken], alreadyApplied: base });
    expect(await tableExists(url, 'partial_table')).toBe(true);
  });

  it('applies a migration added later on the next run, in order, and records its checksum', async () => {
    const dir = await copyOfMigrations();
    const url = testDatabaseUrl(freshName());
    const base = (await repoMigrations(dir)).map((m) => m.name);
    await migrate(url, { dir });

    await addMigration(dir, '29990101000001_add_note', 'ALTER TABLE "tenant" ADD COLUMN "note" TEXT;');
    await addMigration(
      dir,
      '29990101000002_add_index',
      'CREATE INDEX "tenant_note_idx" ON "tenant"("note");',
    );
    const next = await migrate(url, { dir });
    expect(next).toEqual({
      applied: ['29990101000001_add_note', '29990101000002_add_index'],
      alreadyApplied: base,
    });

    const rows = await recorded(url);
    const expected = await repoMigrations(dir);
    expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(
      expected.map((m) => [m.name, m.checksum]),
    );
    const index = await query(url, `SELECT 1 FROM pg_indexes WHERE indexname = 'tenant_note_idx'`);
    expect(index).toHaveLength(1);
    expect(await migrate(url, { dir })).toEqual({ applied: [], alreadyApplied: expected.map((m) => m.name) });
  });
});
