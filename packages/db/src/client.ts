import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { connectionString } from './connection-string.ts';
import { PrismaClient } from './generated/prisma/client.ts';
import { type SqlClient, sqlClient, statementName } from './sql.ts';

export type Prisma = InstanceType<typeof PrismaClient>;

/** A process's database access: Prisma for most queries, raw pg (same pool) for the hot path (sql.ts). */
export interface Db {
  prisma: Prisma;
  sql: SqlClient;
  close(): Promise<void>;
}

/** Prisma's prepared statements are named like ours (sql.ts), with its argument types mixed in. */
const prismaStatementName = (q: { sql: string; argTypes: unknown[] }): string =>
  statementName(q.sql, JSON.stringify(q.argTypes));

/** One pg pool for a process, shared by Prisma (through its mandatory pg driver adapter) and raw SQL. */
export function createDb(databaseUrl: string, options: { maxConnections?: number } = {}): Db {
  const pool = new pg.Pool({
    connectionString: connectionString(databaseUrl),
    max: options.maxConnections ?? 10,
    // pg-pool's default (10 s) reopens the whole pool after every short lull.
    idleTimeoutMillis: 60_000,
  });
  // An idle connection that breaks (Postgres restarted) is dropped by the pool; the next query reconnects
  // or reports the failure. Without a listener the 'error' event would crash the process.
  pool.on('error', () => {});
  const adapter = new PrismaPg(pool, { statementNameGenerator: prismaStatementName });
  const prisma = new PrismaClient({ adapter });
  let closed: Promise<void> | undefined;
  return {
    prisma,
    sql: sqlClient(pool),
    close: () => {
      closed ??= prisma.$disconnect().finally(() => pool.end());
      return closed;
    },
  };
}
