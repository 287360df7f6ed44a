import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { connectionString } from './connection-string.ts';
import { PrismaClient } from './generated/prisma/client.ts';

export type Prisma = InstanceType<typeof PrismaClient>;

export interface Db {
  prisma: Prisma;
  close(): Promise<void>;
}

/**
 * Named prepared statements: Postgres parses and plans each distinct statement once per connection instead
 * of on every call (the checkpoint writes are long CTEs; planning was ~40 % of their time). The name is a
 * hash of the SQL text and its argument types, so every variant of a composed statement gets its own.
 */
const statementName = (q: { sql: string; argTypes: unknown[] }): string =>
  `aq_${createHash('sha1').update(q.sql).update(JSON.stringify(q.argTypes)).digest('hex').slice(0, 24)}`;

/** One Prisma client (through the mandatory pg driver adapter) for a process. */
export function createDb(databaseUrl: string, options: { maxConnections?: number } = {}): Db {
  const adapter = new PrismaPg(
    {
      connectionString: connectionString(databaseUrl),
      max: options.maxConnections ?? 10,
      // pg-pool's default (10 s) reopens the whole pool after every short lull.
      idleTimeoutMillis: 60_000,
    },
    { statementNameGenerator: statementName },
  );
  const prisma = new PrismaClient({ adapter });
  return { prisma, close: () => prisma.$disconnect() };
}
