import { userInfo } from 'node:os';

/**
 * Fills in the role when the URL names none, the way psql does (PGUSER, else the OS user).
 * The default DATABASE_URL has no user, and node-postgres would otherwise send none when $USER is unset.
 */
export function connectionString(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (!url.username) url.username = process.env.PGUSER || process.env.USER || userInfo().username;
  return url.toString();
}
