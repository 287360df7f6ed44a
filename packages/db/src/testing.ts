// Test fixtures: a fresh, migrated database per test file (never a mock), dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from './client.ts';
import { connectionString } from './connection-string.ts';
import { migrate } from './migrate.ts';

export const BASE_DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://127.0.0.1:5432/agentq';

export interface TestDatabase extends Db {
  url: string;
  name: string;
  /** Closes the client and drops the database. */
  drop(): Promise<void>;
}

export function testDatabaseUrl(name: string): string {
  const url = new URL(BASE_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `agentq_${label.replace(/\W/g, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const url = testDatabaseUrl(name);
  await migrate(url);
  const db = createDb(url, { maxConnections: 5 });
  return {
    ...db,
    url,
    name,
    async drop() {
      await db.close();
      await dropDatabase(name);
    },
  };
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: connectionString(testDatabaseUrl('postgres')) });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
