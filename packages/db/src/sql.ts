// Raw SQL on the hot path. The checkpoint writes and the claim are single composed statements; sending them
// straight through pg (as named prepared statements) instead of through Prisma's $queryRaw halves their
// client-side cost (`pnpm bench`: Prisma's request pipeline was ~17 % of a worker's CPU). Statements are
// still composed with Prisma.sql, so values are always parameters, never spliced into the text.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Prisma } from './generated/prisma/client.ts';

export interface SqlClient {
  /** Runs one statement (its own transaction) and returns its rows as pg parses them. */
  rows<T>(statement: Prisma.Sql): Promise<T[]>;
}

/**
 * Prepared statements are named by a hash of their text: Postgres parses and plans each distinct statement
 * once per connection (the checkpoint CTEs spent ~40 % of their time in planning when sent unnamed).
 */
export const statementName = (text: string, salt = ''): string =>
  `aq_${createHash('sha1').update(text).update(salt).digest('hex').slice(0, 24)}`;

export function sqlClient(pool: pg.Pool, onStatement?: (text: string) => void): SqlClient {
  const names = new Map<string, string>();
  return {
    async rows<T>(statement: Prisma.Sql): Promise<T[]> {
      const text = statement.text;
      let name = names.get(text);
      if (name === undefined) {
        name = statementName(text, 'pg');
        names.set(text, name);
      }
      onStatement?.(text);
      const result = await pool.query({ name, text, values: statement.values.map(toParameter) });
      return result.rows as T[];
    },
  };
}

/** Dates as ISO instants (pg would send local time with an offset, which is right but needlessly zoned). */
const toParameter = (value: unknown): unknown =>
  value instanceof Date ? value.toISOString() : typeof value === 'bigint' ? value.toString() : value;
