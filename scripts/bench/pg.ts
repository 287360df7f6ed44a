// Raw node-postgres for the bench. The repository root has no `pg` dependency (only packages/db has), so it
// is loaded through packages/db's own resolution, with just the types the bench uses.
import { createRequire } from 'node:module';
import { connectionString } from '@agentq/db';

export interface PgResult<R> {
  rows: R[];
  rowCount: number | null;
}

export interface PgClient {
  connect(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgResult<R>>;
  end(): Promise<void>;
}

export interface PgPool {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgResult<R>>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
}

interface PgModule {
  Client: new (config: { connectionString: string; application_name?: string }) => PgClient;
  Pool: new (config: { connectionString: string; max?: number }) => PgPool;
  escapeIdentifier(name: string): string;
}

const requireFromDb = createRequire(new URL('../../packages/db/package.json', import.meta.url));
export const pg = requireFromDb('pg') as PgModule;

/** A connected client (the URL's user is filled in the way the platform does it). */
export async function connect(databaseUrl: string, name = 'agentq-bench'): Promise<PgClient> {
  const client = new pg.Client({ connectionString: connectionString(databaseUrl), application_name: name });
  // A connection-level error also fails the pending query; without a listener it would kill the process
  // (e.g. a database dropped WITH (FORCE) during cleanup after a crash).
  client.on('error', () => {});
  await client.connect();
  return client;
}
