// API keys, stored as SHA-256 hashes (the API hashes; this repo never sees a key in clear).
import { randomUUID } from 'node:crypto';
import type { Prisma as Client } from './client.ts';

export class ApiKeysRepo {
  constructor(private readonly prisma: Client) {}

  /** Adds a key (and its tenant) unless a key with this hash exists; returns the new key's id or undefined. */
  async add(
    tenantId: string,
    keyHash: string,
    prefix: string,
    name: string | null,
  ): Promise<string | undefined> {
    const id = randomUUID();
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      WITH t AS (INSERT INTO tenant (id, name) VALUES (${tenantId}, ${tenantId}) ON CONFLICT (id) DO NOTHING)
      INSERT INTO api_key (id, tenant_id, key_hash, prefix, name) VALUES (${id}, ${tenantId}, ${keyHash}, ${prefix}, ${name})
      ON CONFLICT (key_hash) DO NOTHING
      RETURNING id`;
    return rows[0]?.id;
  }

  async revoke(id: string): Promise<boolean> {
    return (
      (await this.prisma
        .$executeRaw`UPDATE api_key SET revoked_at = now() WHERE id = ${id} AND revoked_at IS NULL`) > 0
    );
  }

  async activeCount(): Promise<number> {
    const rows = await this.prisma.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM api_key WHERE revoked_at IS NULL`;
    return rows[0]?.n ?? 0;
  }

  /** The tenant of an active key, by its hash. */
  async tenantOf(keyHash: string): Promise<string | undefined> {
    const rows = await this.prisma.$queryRaw<{ tenant_id: string }[]>`
      SELECT tenant_id FROM api_key WHERE key_hash = ${keyHash} AND revoked_at IS NULL`;
    return rows[0]?.tenant_id;
  }
}

/** Whether Postgres answers (GET /health). */
export async function pingDatabase(prisma: Client): Promise<void> {
  await prisma.$queryRaw`SELECT 1`;
}
