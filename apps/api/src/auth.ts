// Who is calling: API keys (stored as SHA-256 hashes) belong to a tenant. With no key configured at all
// the API runs open as the single tenant "default" (main.ts says so loudly at start).
import { createHash } from 'node:crypto';
import type { ApiKeysRepo } from '@agentq/db';
import type { RequestHandler, Response } from 'express';
import { HttpError } from './errors.ts';

export const OPEN_TENANT = 'default';
const CACHE_MS = 10_000;

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export function tenantOf(res: Response): string {
  const tenant = res.locals.tenantId as string | undefined;
  if (!tenant) throw new Error('route mounted without authentication');
  return tenant;
}

/** Resolves the tenant from `Authorization: Bearer <key>` (or `X-API-Key`), with a short cache. */
export class Authenticator {
  private readonly cache = new Map<string, { tenant: string | undefined; at: number }>();

  constructor(
    private readonly keys: ApiKeysRepo,
    readonly open: boolean,
  ) {}

  async tenantFor(key: string): Promise<string | undefined> {
    const hash = hashKey(key);
    const hit = this.cache.get(hash);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.tenant;
    const tenant = await this.keys.tenantOf(hash);
    this.cache.set(hash, { tenant, at: Date.now() });
    return tenant;
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      if (this.open) {
        res.locals.tenantId = OPEN_TENANT;
        return next();
      }
      const header = req.get('authorization');
      const key = header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : req.get('x-api-key');
      if (!key) {
        return next(
          new HttpError(401, 'unauthorized', 'missing API key (Authorization: Bearer <key>)', undefined, {
            'WWW-Authenticate': 'Bearer',
          }),
        );
      }
      this.tenantFor(key)
        .then((tenant) => {
          if (!tenant) return next(new HttpError(401, 'unauthorized', 'invalid or revoked API key'));
          res.locals.tenantId = tenant;
          next();
        })
        .catch(next);
    };
  }
}
