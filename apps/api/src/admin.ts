// Bull Board at /admin/queues, behind basic auth when ADMIN_USERNAME/ADMIN_PASSWORD are set.
import { timingSafeEqual } from 'node:crypto';
import type { Queues } from '@agentq/queue';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RequestHandler, Router } from 'express';

export const BULL_BOARD_PATH = '/admin/queues';

export function bullBoard(queues: Queues): Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: queues.all().map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  return adapter.getRouter() as Router;
}

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Basic auth for /admin. Admin routes have their own credentials: once tenants use API keys, /admin stays
 * closed until ADMIN_USERNAME and ADMIN_PASSWORD are set (a tenant's key never opens it). Only a deployment
 * running open (no keys at all) serves /admin without credentials.
 */
export function adminAuth(
  username: string | undefined,
  password: string | undefined,
  open: boolean,
): RequestHandler {
  return (req, res, next) => {
    if (!username || !password) {
      if (open) return next();
      return res.status(403).json({
        error: {
          code: 'admin_not_configured',
          message: 'set ADMIN_USERNAME and ADMIN_PASSWORD to use /admin',
        },
      });
    }
    const header = req.get('authorization') ?? '';
    const [scheme, encoded] = header.split(' ');
    const [user, ...rest] = Buffer.from(encoded ?? '', 'base64')
      .toString()
      .split(':');
    if (scheme?.toLowerCase() === 'basic' && same(user ?? '', username) && same(rest.join(':'), password))
      return next();
    res
      .set('WWW-Authenticate', 'Basic realm="agentq admin"')
      .status(401)
      .json({
        error: { code: 'unauthorized', message: 'admin credentials required' },
      });
  };
}
