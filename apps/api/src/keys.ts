// API keys: created by `pnpm agentq keys create`, or bootstrapped from API_KEYS (tenant:key,...). Keys are
// stored hashed (ApiKeysRepo); a new key is shown once, when it is created.
import { randomBytes } from 'node:crypto';
import { ApiKeysRepo, type Prisma } from '@agentq/db';
import { hashKey } from './auth.ts';

/** Makes sure every API_KEYS entry exists (and its tenant); returns how many active keys exist in total. */
export async function bootstrapApiKeys(prisma: Prisma, entries: string[]): Promise<number> {
  const keys = new ApiKeysRepo(prisma);
  for (const entry of entries) {
    const at = entry.indexOf(':');
    const tenant = entry.slice(0, at);
    const key = entry.slice(at + 1);
    if (at <= 0 || key.length < 8)
      throw new Error('API_KEYS: each entry must be tenant:key with a key of 8+ characters');
    await keys.add(tenant, hashKey(key), key.slice(0, 6), 'API_KEYS');
  }
  return keys.activeCount();
}

export async function createApiKey(
  prisma: Prisma,
  tenant: string,
  name?: string,
): Promise<{ id: string; key: string }> {
  const key = `aq_${randomBytes(24).toString('base64url')}`;
  const id = await new ApiKeysRepo(prisma).add(tenant, hashKey(key), key.slice(0, 6), name ?? null);
  if (!id) throw new Error('a freshly generated key collided with an existing one; try again');
  return { id, key };
}

export const revokeApiKey = (prisma: Prisma, id: string): Promise<boolean> =>
  new ApiKeysRepo(prisma).revoke(id);
