// prisma/schema.prisma and the hand-written SQL migrations must describe the same tables: the Prisma
// client is generated from the one and runs against the other. Prisma's engines can't run here, so the
// schema is parsed by ./prisma-schema.ts and compared with the catalog of a freshly migrated database.
//
// Decisions:
// - Scalar lists (`Float[]`) must be NULLABLE in SQL: that is what `prisma migrate` itself emits for a
//   list (prisma/orm#4729, #26425), so a NOT NULL list would show up as drift in `prisma migrate diff`.
// - Constraint and index names are compared with Prisma's naming convention (or the `map:` given),
//   since Prisma treats a differently named index as drift too.
// - Column defaults are compared (now() ↔ CURRENT_TIMESTAMP, literals, strings ↔ '…'::text / ::jsonb).
// - Referential actions use Prisma's defaults when the schema gives none (onDelete: Restrict for a
//   required relation, SetNull for an optional one; onUpdate: Cascade).
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionString } from '../src/connection-string.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';
import {
  expectedSqlDefault,
  expectedSqlType,
  type ModelIndex,
  type PrismaModel,
  parsePrismaSchema,
  prismaNames,
  type ScalarColumn,
} from './prisma-schema.ts';

const SCHEMA_PATH = new URL('../../../prisma/schema.prisma', import.meta.url);

// ---- the database side -----------------------------------------------------------------------------

interface CatalogColumn {
  table: string;
  column: string;
  type: string;
  not_null: boolean;
  default: string | null;
}

interface CatalogIndex {
  table: string;
  name: string;
  unique: boolean;
  primary: boolean;
  partial: boolean;
  method: string;
  included: number;
  columns: string[];
  desc: boolean[];
}

interface CatalogForeignKey {
  table: string;
  name: string;
  columns: string[];
  ref_table: string;
  ref_columns: string[];
  on_delete: string;
  on_update: string;
}

interface Catalog {
  tables: string[];
  columns: CatalogColumn[];
  indexes: CatalogIndex[];
  foreignKeys: CatalogForeignKey[];
}

const IGNORED_TABLES = new Set(['_prisma_migrations']);

async function readCatalog(client: pg.ClientBase): Promise<Catalog> {
  const tables = await client.query<{ table: string }>(`
    SELECT c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`);
  const columns = await client.query<CatalogColumn>(`
    SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
           a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY c.relname, a.attnum`);
  const indexes = await client.query<CatalogIndex>(`
    SELECT c.relname AS table, ic.relname AS name, i.indisunique AS unique, i.indisprimary AS primary,
           i.indpred IS NOT NULL AS partial, am.amname AS method, i.indnatts - i.indnkeyatts AS included,
           array(SELECT coalesce(a.attname::text, '(expression)')
                 FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                 LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
                 WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) AS columns,
           array(SELECT (o & 1) = 1 FROM unnest(i.indoption::int2[]) WITH ORDINALITY x(o, ord)
                 ORDER BY x.ord) AS desc
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
    WHERE n.nspname = 'public' ORDER BY 1, 2`);
  const foreignKeys = await client.query<CatalogForeignKey>(`
    SELECT c.relname AS table, con.conname AS name, rc.relname AS ref_table,
           array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
           array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS ref_columns,
           con.confdeltype AS on_delete, con.confupdtype AS on_update
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class rc ON rc.oid = con.confrelid
    WHERE con.contype = 'f' AND n.nspname = 'public' ORDER BY 1, 2`);
  return {
    tables: tables.rows.map((r) => r.table).filter((t) => !IGNORED_TABLES.has(t)),
    columns: columns.rows.filter((c) => !IGNORED_TABLES.has(c.table)),
    indexes: indexes.rows.filter((i) => !IGNORED_TABLES.has(i.table)),
    foreignKeys: foreignKeys.rows,
  };
}

// ---- the comparison ----------------------------------------------------------------------------------

const ACTIONS: Record<string, string> = {
  Cascade: 'c',
  Restrict: 'r',
  NoAction: 'a',
  SetNull: 'n',
  SetDefault: 'd',
};
const ACTION_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(ACTIONS).map(([k, v]) => [v, k]),
);

const describeIndex = (unique: boolean, cols: { column: string; desc: boolean }[]) =>
  `${unique ? 'unique index' : 'index'} (${cols.map((c) => (c.desc ? `${c.column} DESC` : c.column)).join(', ')})`;

/** Every disagreement between the models and the catalog, one readable line each. */
function compareSchema(models: PrismaModel[], catalog: Catalog): string[] {
  const problems: string[] = [];
  const byTable = new Map(models.map((m) => [m.table, m]));

  for (const table of catalog.tables) {
    if (!byTable.has(table)) problems.push(`table "${table}" exists in SQL but no model maps to it`);
  }

  for (const model of models) {
    const t = model.table;
    const where = `model ${model.name} (table "${t}")`;
    if (!catalog.tables.includes(t)) {
      problems.push(`${where}: the table is missing in SQL`);
      continue;
    }

    // Columns: set, type, nullability, default.
    const sqlColumns = new Map(catalog.columns.filter((c) => c.table === t).map((c) => [c.column, c]));
    for (const col of model.columns) {
      const sql = sqlColumns.get(col.column);
      const name = `${where}: column "${col.column}" (field ${col.field})`;
      if (!sql) {
        problems.push(`${name} is missing in SQL`);
        continue;
      }
      const type = expectedSqlType(col);
      if (sql.type !== type) problems.push(`${name} is ${sql.type} in SQL, but the schema says ${type}`);
      const nullable = col.optional || col.list;
      if (nullable && sql.not_null) {
        problems.push(
          `${name} is NOT NULL in SQL, but the schema says ${col.list ? 'list (Prisma emits it nullable)' : 'optional'}`,
        );
      }
      if (!nullable && !sql.not_null)
        problems.push(`${name} allows NULL in SQL, but the schema says required`);
      const dflt = expectedSqlDefault(col);
      if ((sql.default ?? undefined) !== dflt) {
        problems.push(
          `${name} has default ${sql.default ?? 'none'} in SQL, but the schema says ${dflt ?? 'none'}`,
        );
      }
    }
    const fieldColumns = new Set(model.columns.map((c) => c.column));
    for (const column of sqlColumns.keys()) {
      if (!fieldColumns.has(column))
        problems.push(`${where}: column "${column}" exists in SQL but no field maps to it`);
    }

    // Primary key.
    const tableIndexes = catalog.indexes.filter((i) => i.table === t);
    const pk = tableIndexes.find((i) => i.primary);
    const expectedPk = model.primaryKey;
    if (!expectedPk && pk)
      problems.push(`${where}: SQL has primary key (${pk.columns.join(', ')}) but the schema none`);
    if (expectedPk && !pk)
      problems.push(`${where}: primary key (${expectedPk.columns.join(', ')}) is missing in SQL`);
    if (expectedPk && pk) {
      if (pk.columns.join(',') !== expectedPk.columns.join(',')) {
        problems.push(
          `${where}: primary key is (${pk.columns.join(', ')}) in SQL, but the schema says (${expectedPk.columns.join(', ')})`,
        );
      }
      const name = expectedPk.map ?? prismaNames.primaryKey(t);
      if (pk.name !== name)
        problems.push(`${where}: primary key is named "${pk.name}" in SQL, Prisma expects "${name}"`);
    }

    // Unique and plain indexes: exactly the declared ones, column order and sort order included.
    const declared = [
      ...model.uniques.map((ix) => ({ ix, unique: true })),
      ...model.indexes.map((ix) => ({ ix, unique: false })),
    ];
    const actual = tableIndexes
      .filter((i) => !i.primary)
      .map((i) => ({ i, cols: i.columns.map((column, k) => ({ column, desc: i.desc[k] === true })) }));
    const matched = new Set<CatalogIndex>();
    for (const { ix, unique } of declared) {
      const want = describeIndex(unique, ix.columns);
      const found = actual.find((a) => !matched.has(a.i) && describeIndex(a.i.unique, a.cols) === want);
      if (!found) {
        problems.push(`${where}: ${want} is declared in the schema but missing in SQL`);
        continue;
      }
      matched.add(found.i);
      const cols = ix.columns.map((c) => c.column);
      const name = nameOf(ix, unique ? prismaNames.unique(t, cols) : prismaNames.index(t, cols));
      if (found.i.name !== name)
        problems.push(`${where}: ${want} is named "${found.i.name}" in SQL, Prisma expects "${name}"`);
      if (found.i.method !== 'btree')
        problems.push(`${where}: ${want} uses ${found.i.method} in SQL, Prisma expects btree`);
      if (found.i.partial)
        problems.push(`${where}: ${want} is partial in SQL; the schema can't express that`);
      if (found.i.included > 0)
        problems.push(`${where}: ${want} has INCLUDE columns in SQL; the schema has none`);
    }
    for (const a of actual) {
      if (!matched.has(a.i)) {
        problems.push(
          `${where}: ${describeIndex(a.i.unique, a.cols)} "${a.i.name}" exists in SQL but not in the schema`,
        );
      }
    }

    // Foreign keys: one per relation with fields, same columns, target and actions.
    const fks = catalog.foreignKeys.filter((f) => f.table === t);
    const usedFks = new Set<CatalogForeignKey>();
    for (const rel of model.relations) {
      const target = tableOf(models, rel.target);
      const want = `foreign key (${rel.fields.join(', ')}) → ${target}(${rel.references.join(', ')})`;
      const fk = fks.find(
        (f) =>
          !usedFks.has(f) &&
          f.ref_table === target &&
          f.columns.join(',') === rel.fields.join(',') &&
          f.ref_columns.join(',') === rel.references.join(','),
      );
      if (!fk) {
        problems.push(`${where}: ${want} (relation field ${rel.field}) is missing in SQL`);
        continue;
      }
      usedFks.add(fk);
      const onDelete = rel.onDelete ?? (rel.optional ? 'SetNull' : 'Restrict');
      const onUpdate = rel.onUpdate ?? 'Cascade';
      if (fk.on_delete !== ACTIONS[onDelete]) {
        problems.push(
          `${where}: ${want} is ON DELETE ${ACTION_NAMES[fk.on_delete]} in SQL, but the schema says ${onDelete}`,
        );
      }
      if (fk.on_update !== ACTIONS[onUpdate]) {
        problems.push(
          `${where}: ${want} is ON UPDATE ${ACTION_NAMES[fk.on_update]} in SQL, but the schema says ${onUpdate}`,
        );
      }
      const name = rel.map ?? prismaNames.foreignKey(t, rel.fields);
      if (fk.name !== name)
        problems.push(`${where}: ${want} is named "${fk.name}" in SQL, Prisma expects "${name}"`);
    }
    for (const f of fks) {
      if (!usedFks.has(f)) {
        problems.push(
          `${where}: foreign key "${f.name}" (${f.columns.join(', ')}) → ${f.ref_table}(${f.ref_columns.join(', ')}) exists in SQL but no relation declares it`,
        );
      }
    }
  }
  return problems;
}

const nameOf = (ix: ModelIndex, fallback: string) => ix.map ?? fallback;

function tableOf(models: PrismaModel[], modelName: string): string {
  return models.find((m) => m.name === modelName)?.table ?? modelName;
}

// ---- the tests ---------------------------------------------------------------------------------------

let db: TestDatabase;
let client: pg.Client;
let models: PrismaModel[];
let schemaSource: string;

beforeAll(async () => {
  schemaSource = await readFile(SCHEMA_PATH, 'utf8');
  models = parsePrismaSchema(schemaSource);
  db = await createTestDatabase('schema_agrees');
  client = new pg.Client({ connectionString: connectionString(db.url) });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('the schema parser', () => {
  const tiny = `
    // a comment with "quotes" and // slashes
    generator client {
      provider = "prisma-client"
    }
    datasource db {
      provider = "postgresql"
    }

    /// Doc comment
    model Owner {
      id     String  @id @db.Uuid
      email  String  @unique(map: "owner_email_unique") // trailing comment
      note   String? @default("a // not a comment") @map("the_note")
      scores Float[] @db.Real
      pets   Pet[]

      @@map("owner")
    }

    model Pet {
      ownerId  String   @map("owner_id") @db.Uuid
      n        Int      @default(0)
      price    Decimal  @db.Decimal(10, 2)
      at       DateTime @default(now()) @map("at") @db.Timestamptz(3)
      data     Json     @default("{}")
      owner    Owner    @relation(fields: [ownerId], references: [id], onDelete: Cascade)

      @@id([ownerId, n])
      @@unique([n, price])
      @@index([ownerId, at(sort: Desc)], map: "pet_custom_idx")
    }
  `;

  /** A parsed scalar column with the parser's defaults for everything not given. */
  const col = (c: Partial<ScalarColumn> & { field: string; type: string }): ScalarColumn => ({
    column: c.field,
    list: false,
    optional: false,
    native: undefined,
    id: false,
    unique: false,
    default: undefined,
    ...c,
  });
  const asc = (column: string) => ({ column, desc: false });

  it('reads models, scalar columns, keys, indexes and relations of a tiny schema', () => {
    const parsed = parsePrismaSchema(tiny);
    expect(parsed).toEqual([
      {
        name: 'Owner',
        table: 'owner',
        columns: [
          col({ field: 'id', type: 'String', native: { name: 'Uuid', args: [] }, id: true }),
          col({ field: 'email', type: 'String', unique: true }),
          col({
            field: 'note',
            column: 'the_note',
            type: 'String',
            optional: true,
            default: '"a // not a comment"',
          }),
          col({ field: 'scores', type: 'Float', list: true, native: { name: 'Real', args: [] } }),
        ],
        primaryKey: { columns: ['id'], map: undefined },
        uniques: [{ columns: [asc('email')], map: 'owner_email_unique' }],
        indexes: [],
        relations: [],
      },
      {
        name: 'Pet',
        table: 'Pet',
        columns: [
          col({ field: 'ownerId', column: 'owner_id', type: 'String', native: { name: 'Uuid', args: [] } }),
          col({ field: 'n', type: 'Int', default: '0' }),
          col({ field: 'price', type: 'Decimal', native: { name: 'Decimal', args: ['10', '2'] } }),
          col({
            field: 'at',
            type: 'DateTime',
            native: { name: 'Timestamptz', args: ['3'] },
            default: 'now()',
          }),
          col({ field: 'data', type: 'Json', default: '"{}"' }),
        ],
        primaryKey: { columns: ['owner_id', 'n'], map: undefined },
        uniques: [{ columns: [asc('n'), asc('price')], map: undefined }],
        indexes: [{ columns: [asc('owner_id'), { column: 'at', desc: true }], map: 'pet_custom_idx' }],
        relations: [
          {
            field: 'owner',
            target: 'Owner',
            fields: ['owner_id'],
            references: ['id'],
            onDelete: 'Cascade',
            onUpdate: undefined,
            map: undefined,
            optional: false,
          },
        ],
      },
    ]);
  });

  it('maps the types the brief lists to their Postgres types', () => {
    const [owner, pet] = parsePrismaSchema(tiny);
    const types = [...owner!.columns, ...pet!.columns].map((c) => [c.column, expectedSqlType(c)]);
    expect(types).toEqual([
      ['id', 'uuid'],
      ['email', 'text'],
      ['the_note', 'text'],
      ['scores', 'real[]'],
      ['owner_id', 'uuid'],
      ['n', 'integer'],
      ['price', 'numeric(10,2)'],
      ['at', 'timestamp(3) with time zone'],
      ['data', 'jsonb'],
    ]);
    const defaults = pet!.columns.map((c) => expectedSqlDefault(c));
    expect(defaults).toEqual([undefined, '0', undefined, 'CURRENT_TIMESTAMP', "'{}'::jsonb"]);
  });

  it('refuses what it does not understand instead of skipping it', () => {
    expect(() => parsePrismaSchema('enum Color {\n  RED\n}')).toThrow(/unsupported block "enum"/);
    expect(() => parsePrismaSchema('model A {\n  id String @id @ignore\n}')).toThrow(
      /unsupported attribute @ignore/,
    );
    expect(() => parsePrismaSchema('model A {\n  id Color @id\n}')).toThrow(/unsupported type Color/);
    expect(() => parsePrismaSchema('model A {\n  id String @id\n  @@fulltext([id])\n}')).toThrow(
      /@@fulltext/,
    );
    expect(() => parsePrismaSchema('model A {\n  id String @id')).toThrow(/unterminated/);
  });

  it('finds every model of prisma/schema.prisma and every scalar column of job', () => {
    // Counted independently of the parser: every `model X {` line.
    const modelLines = schemaSource.match(/^model\s+\w+\s*\{/gm) ?? [];
    expect(models).toHaveLength(modelLines.length);
    expect(models.map((m) => m.name)).toEqual(
      expect.arrayContaining([
        'Tenant',
        'ApiKey',
        'Job',
        'Step',
        'ToolCall',
        'JobEvent',
        'WebhookDelivery',
        'WebhookAttempt',
        'Schedule',
        'SessionMessage',
        'Memory',
      ]),
    );
    const job = models.find((m) => m.name === 'Job')!;
    expect(job.table).toBe('job');
    expect(job.columns.map((c) => c.column)).toEqual([
      'id',
      'tenant_id',
      'user_id',
      'session_id',
      'idempotency_key',
      'schedule_id',
      'task',
      'model',
      'config',
      'metadata',
      'webhook_url',
      'status',
      'result',
      'error',
      'steps_used',
      'tool_calls_used',
      'input_tokens',
      'output_tokens',
      'cache_read_tokens',
      'cache_write_tokens',
      'cost_usd',
      'lease_epoch',
      'lease_owner',
      'event_seq',
      'cancel_requested_at',
      'deadline_at',
      'created_at',
      'started_at',
      'finished_at',
      'updated_at',
    ]);
    // Relation fields (tenant, deliveries) have no column.
    expect(job.relations).toEqual([
      {
        field: 'tenant',
        target: 'Tenant',
        fields: ['tenant_id'],
        references: ['id'],
        onDelete: 'Cascade',
        onUpdate: undefined,
        map: undefined,
        optional: false,
      },
    ]);
    expect(job.uniques).toEqual([
      {
        columns: [
          { column: 'tenant_id', desc: false },
          { column: 'idempotency_key', desc: false },
        ],
        map: undefined,
      },
    ]);
    expect(job.indexes.map((i) => i.columns)).toEqual([
      [
        { column: 'tenant_id', desc: false },
        { column: 'created_at', desc: true },
      ],
      [
        { column: 'status', desc: false },
        { column: 'created_at', desc: false },
      ],
      [
        { column: 'tenant_id', desc: false },
        { column: 'session_id', desc: false },
      ],
    ]);
    // Every relation field with @relation(fields: …) was found: 4 foreign keys in all (a run's steps, tool
    // calls and events have none: migration 20261124030000_child_rows_without_fk).
    expect(models.flatMap((m) => m.relations.map((r) => `${m.table}.${r.fields.join(',')}`)).sort()).toEqual([
      'api_key.tenant_id',
      'job.tenant_id',
      'webhook_attempt.delivery_id',
      'webhook_delivery.job_id',
    ]);
  });
});

describe('prisma/schema.prisma and prisma/migrations', () => {
  it('describe the same tables, columns, types, nullability, defaults, keys, indexes and foreign keys', async () => {
    const catalog = await readCatalog(client);
    // Non-vacuous: the catalog really holds the migrated tables.
    expect(catalog.tables.length).toBe(models.length);
    expect(catalog.columns.filter((c) => c.table === 'job')).toHaveLength(30);
    expect(compareSchema(models, catalog)).toEqual([]);
  });

  it('reports exactly what disagrees (checked on deliberately altered tables, rolled back)', async () => {
    await client.query('BEGIN');
    try {
      await client.query(`
        ALTER TABLE job ALTER COLUMN task DROP NOT NULL;
        ALTER TABLE step ALTER COLUMN input_tokens TYPE bigint;
        ALTER TABLE job ALTER COLUMN status DROP DEFAULT;
        ALTER TABLE memory ALTER COLUMN embedding SET NOT NULL;
        ALTER TABLE tenant ADD COLUMN extra TEXT;
        ALTER TABLE schedule DROP COLUMN cron;
        CREATE TABLE stray (id INTEGER);
        DROP INDEX job_status_created_at_idx;
        DROP INDEX job_tenant_id_created_at_idx;
        CREATE INDEX job_tenant_id_created_at_idx ON job (tenant_id, created_at);
        DROP INDEX api_key_key_hash_key;
        CREATE INDEX api_key_key_hash_key ON api_key (key_hash);
        ALTER TABLE webhook_delivery DROP CONSTRAINT webhook_delivery_job_id_fkey;
        ALTER TABLE webhook_delivery ADD CONSTRAINT webhook_delivery_job_id_fkey FOREIGN KEY (job_id) REFERENCES job(id) ON DELETE RESTRICT ON UPDATE CASCADE;
        ALTER TABLE webhook_attempt DROP CONSTRAINT webhook_attempt_delivery_id_fkey;
        ALTER TABLE step ADD CONSTRAINT step_job_id_fkey FOREIGN KEY (job_id) REFERENCES job(id);
        ALTER TABLE session_message ADD CONSTRAINT session_message_job_id_fkey FOREIGN KEY (job_id) REFERENCES job(id);
        ALTER TABLE webhook_attempt DROP CONSTRAINT webhook_attempt_pkey;
        ALTER TABLE webhook_attempt ADD CONSTRAINT webhook_attempt_pkey PRIMARY KEY (attempt, delivery_id);
        ALTER INDEX memory_tenant_id_user_id_idx RENAME TO memory_owner_idx;
      `);
      const problems = compareSchema(models, await readCatalog(client));
      expect(problems.sort()).toEqual(
        [
          'table "stray" exists in SQL but no model maps to it',
          'model Tenant (table "tenant"): column "extra" exists in SQL but no field maps to it',
          'model Job (table "job"): column "task" (field task) allows NULL in SQL, but the schema says required',
          `model Job (table "job"): column "status" (field status) has default none in SQL, but the schema says 'queued'::text`,
          'model Job (table "job"): index (tenant_id, created_at DESC) is declared in the schema but missing in SQL',
          'model Job (table "job"): index (status, created_at) is declared in the schema but missing in SQL',
          'model Job (table "job"): index (tenant_id, created_at) "job_tenant_id_created_at_idx" exists in SQL but not in the schema',
          'model ApiKey (table "api_key"): unique index (key_hash) is declared in the schema but missing in SQL',
          'model ApiKey (table "api_key"): index (key_hash) "api_key_key_hash_key" exists in SQL but not in the schema',
          'model Step (table "step"): column "input_tokens" (field inputTokens) is bigint in SQL, but the schema says integer',
          'model WebhookDelivery (table "webhook_delivery"): foreign key (job_id) → job(id) is ON DELETE Restrict in SQL, but the schema says Cascade',
          'model WebhookAttempt (table "webhook_attempt"): foreign key (delivery_id) → webhook_delivery(id) (relation field delivery) is missing in SQL',
          'model Step (table "step"): foreign key "step_job_id_fkey" (job_id) → job(id) exists in SQL but no relation declares it',
          'model SessionMessage (table "session_message"): foreign key "session_message_job_id_fkey" (job_id) → job(id) exists in SQL but no relation declares it',
          'model WebhookAttempt (table "webhook_attempt"): primary key is (attempt, delivery_id) in SQL, but the schema says (delivery_id, attempt)',
          'model Schedule (table "schedule"): column "cron" (field cron) is missing in SQL',
          'model Memory (table "memory"): column "embedding" (field embedding) is NOT NULL in SQL, but the schema says list (Prisma emits it nullable)',
          'model Memory (table "memory"): index (tenant_id, user_id) is named "memory_owner_idx" in SQL, Prisma expects "memory_tenant_id_user_id_idx"',
        ].sort(),
      );
    } finally {
      await client.query('ROLLBACK');
    }
    // Rolled back: agreement again.
    expect(compareSchema(models, await readCatalog(client))).toEqual([]);
  });
});
