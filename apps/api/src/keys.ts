// API keys: created by `pnpm agentq keys create`, or bootstrapped from API_KEYS (tenant:key,...).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Prisma } from '@agentq/db';
import { hashKey } from './auth.ts';

/** Makes sure every API_KEYS entry exists (and its tenant); returns how many active keys exist in total. */
export async function bootstrapApiKeys(prisma: Prisma, entries: string[]): Promise<number> {
  for (const entry of entries) {
    const at = entry.indexOf(':');
    const tenant = entry.slice(0, at);
    const key = entry.slice(at + 1);
    if (at <= 0 || key.length < 8)
      throw new Error('API_KEYS: each entry must be tenant:key with a key of 8+ characters');
    await prisma.$executeRaw`INSERT INTO tenant (id, name) VALUES (${tenant}, ${tenant}) ON CONFLICT (id) DO NOTHING`;
    await prisma.$executeRaw`
      INSERT INTO api_key (id, tenant_id, key_hash, prefix, name)
      VALUES (${randomUUID()}, ${tenant}, ${hashKey(key)}, ${key.slice(0, 6)}, 'API_KEYS')
      ON CONFLICT (key_hash) DO NOTHING`;
  }
  const rows = await prisma.$queryRaw<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM api_key WHERE revoked_at IS NULL`;
  return rows[0]?.n ?? 0;
}

export async function createApiKey(
  prisma: Prisma,
  tenant: string,
  name?: string,
): Promise<{ id: string; key: string }> {
  const key = `aq_${randomBytes(24).toString('base64url')}`;
  const id = randomUUID();
  await prisma.$executeRaw`INSERT INTO tenant (id, name) VALUES (${tenant}, ${tenant}) ON CONFLICT (id) DO NOTHING`;
  await prisma.$executeRaw`
    INSERT INTO api_key (id, tenant_id, key_hash, prefix, name) VALUES (${id}, ${tenant}, ${hashKey(key)}, ${key.slice(0, 6)}, ${name ?? null})`;
  return { id, key };
}

export async function revokeApiKey(prisma: Prisma, id: string): Promise<boolean> {
  const n =
    await prisma.$executeRaw`UPDATE api_key SET revoked_at = now() WHERE id = ${id} AND revoked_at IS NULL`;
  return n > 0;
}
