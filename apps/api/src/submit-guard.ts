// What stands before POST /submit and POST /run: the tenant's submit rate limit (429 rate_limited with
// Retry-After) and its daily cost cap (429 daily_cost_cap_reached, Retry-After until midnight UTC). Each
// tenant's own limits (the tenant table, `pnpm agentq tenants set`) win over the deployment defaults
// (RATE_LIMIT_SUBMITS_PER_MINUTE, TENANT_DAILY_COST_CAP_USD); they are cached for a few seconds.
import type { Config } from '@agentq/config';
import type { TenantLimits, TenantsRepo } from '@agentq/db';
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { tenantOf } from './auth.ts';
import { HttpError } from './errors.ts';
import { SubmitRateLimiter } from './rate-limit.ts';

const LIMITS_CACHE_MS = 5_000;
const COST_CACHE_MS = 2_000;

/** A small per-key cache of recent answers (bounded: stale entries are dropped when it grows). */
export class Recent<T> {
  private readonly entries = new Map<string, { value: T; at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly load: (key: string) => Promise<T>,
  ) {}

  async get(key: string): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    const value = await this.load(key);
    if (this.entries.size >= 10_000) {
      for (const [k, e] of this.entries) if (Date.now() - e.at >= this.ttlMs) this.entries.delete(k);
    }
    this.entries.set(key, { value, at: Date.now() });
    return value;
  }
}

const NO_LIMITS: TenantLimits = { dailyCostCapUsd: null, maxConcurrentJobs: null, submitsPerMinute: null };

const secondsUntilUtcMidnight = (now = new Date()): number =>
  Math.max(
    1,
    Math.ceil(
      (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000,
    ),
  );

export function submitGuard(deps: { config: Config; redis: Redis; tenants: TenantsRepo }): RequestHandler {
  const { config } = deps;
  const limiter = new SubmitRateLimiter(deps.redis, config.QUEUE_PREFIX);
  const limits = new Recent(LIMITS_CACHE_MS, async (t) => (await deps.tenants.limits(t)) ?? NO_LIMITS);
  const spent = new Recent(COST_CACHE_MS, (t) => deps.tenants.costToday(t));

  const check = async (tenant: string, set: (h: Record<string, string>) => void) => {
    const own = await limits.get(tenant);
    const perMinute = own.submitsPerMinute ?? config.RATE_LIMIT_SUBMITS_PER_MINUTE;
    const rate = await limiter.take(tenant, perMinute);
    set({ 'X-RateLimit-Limit': String(rate.limit), 'X-RateLimit-Remaining': String(rate.remaining) });
    if (!rate.allowed) {
      const retryAfter = Math.max(1, Math.ceil(rate.retryAfterMs / 1000));
      throw new HttpError(
        429,
        'rate_limited',
        `too many submits: this tenant may submit ${perMinute} jobs per minute; retry in ${retryAfter} s`,
        { limit: perMinute, retry_after_seconds: retryAfter },
        { 'Retry-After': String(retryAfter) },
      );
    }
    const cap = own.dailyCostCapUsd ?? config.TENANT_DAILY_COST_CAP_USD;
    if (cap === undefined) return;
    const usd = await spent.get(tenant);
    if (usd >= cap) {
      const retryAfter = secondsUntilUtcMidnight();
      throw new HttpError(
        429,
        'daily_cost_cap_reached',
        `this tenant's jobs cost $${usd.toFixed(2)} today (UTC), reaching its daily cap of $${cap}; new jobs are accepted again after midnight UTC`,
        { cap_usd: cap, spent_usd: usd, retry_after_seconds: retryAfter },
        { 'Retry-After': String(retryAfter) },
      );
    }
  };

  return (_req, res, next) => {
    check(tenantOf(res), (h) => res.set(h)).then(() => next(), next);
  };
}
