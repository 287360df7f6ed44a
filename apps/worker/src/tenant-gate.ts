// Caps how many jobs of one tenant run at once (tenant.max_concurrent_jobs, else TENANT_MAX_RUNNING_JOBS),
// so one tenant's burst can't occupy every worker while the others wait.
//
// The slots are a Redis sorted set per tenant, shared by every worker: member = job id, score = when its
// lease runs out. Taking a slot is one Lua script (drop expired leases; already holding one, or fewer than
// the cap → take it), so two workers can't both take the last slot. A worker refreshes the leases of the
// jobs it runs; if it dies, its leases expire after LEASE_MS and the slots come back by themselves. A job
// over the cap is put back as delayed (never failed) and looks again shortly; other tenants' jobs that
// were waiting behind it run meanwhile.
import { createHash } from 'node:crypto';
import type { Config, Logger } from '@agentq/config';
import type { TenantsRepo } from '@agentq/db';
import { createRedis, parsePayload } from '@agentq/queue';
import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';

/** A slot's lease; refreshed every LEASE_MS / 3 while its job runs. */
export const LEASE_MS = 30_000;
/** How long a job over its tenant's cap waits before looking again (plus up to as much jitter). */
export const OVER_CAP_RECHECK_MS = 1_000;
const LIMITS_CACHE_MS = 5_000;

// KEYS[1] slots; ARGV: job id, cap, lease ms. Returns 1 when the job holds a slot now, else 0.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0`;
// KEYS[1] slots; ARGV: lease ms, job ids. Extends the leases (re-adding any that Redis lost).
const REFRESH = `
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], until_ms, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return #ARGV - 1`;
const sha = (s: string) => createHash('sha1').update(s).digest('hex');
const SCRIPTS = {
  acquire: { lua: ACQUIRE, sha: sha(ACQUIRE) },
  refresh: { lua: REFRESH, sha: sha(REFRESH) },
};

export interface TenantGateDeps {
  redis: Redis;
  prefix: string;
  log: Logger;
  /** The tenant's own cap (tenant.max_concurrent_jobs), or null/undefined for the default. */
  tenantCap(tenantId: string): Promise<number | null | undefined>;
  defaultCap: number;
  /** Quit the Redis connection on close(). */
  ownsRedis?: boolean;
  /** Lease length (tests); default LEASE_MS. */
  leaseMs?: number;
}

export interface Slot {
  release(): Promise<void>;
}

export class TenantGate {
  /** Slots this process holds: job id → tenant. */
  private readonly held = new Map<string, string>();
  private readonly caps = new Map<string, { cap: number; at: number }>();
  private readonly timer: NodeJS.Timeout;
  private readonly leaseMs: number;

  constructor(private readonly deps: TenantGateDeps) {
    this.leaseMs = deps.leaseMs ?? LEASE_MS;
    this.timer = setInterval(() => void this.refresh(), this.leaseMs / 3);
    this.timer.unref();
  }

  slotsKey(tenantId: string): string {
    return `${this.deps.prefix}:tenant-running:${tenantId}`;
  }

  async cap(tenantId: string): Promise<number> {
    const hit = this.caps.get(tenantId);
    if (hit && Date.now() - hit.at < LIMITS_CACHE_MS) return hit.cap;
    const cap = (await this.deps.tenantCap(tenantId)) ?? this.deps.defaultCap;
    this.caps.set(tenantId, { cap, at: Date.now() });
    return cap;
  }

  /**
   * Takes a running slot for the job's tenant, or moves the job back to delayed and throws DelayedError
   * (which BullMQ does not count as a failed attempt) when the tenant is at its cap.
   */
  async enter(job: Job, token: string | undefined): Promise<Slot> {
    const { job_id: jobId, tenant_id: tenantId } = parsePayload('agentRun', job.data);
    const cap = await this.cap(tenantId);
    const got = await this.run('acquire', this.slotsKey(tenantId), jobId, String(cap), String(this.leaseMs));
    if (got !== 1) {
      this.deps.log.debug(
        { job_id: jobId, tenant: tenantId, cap },
        'tenant at its running-jobs cap; job waits',
      );
      await job.moveToDelayed(Date.now() + OVER_CAP_RECHECK_MS * (1 + Math.random()), token);
      throw new DelayedError();
    }
    this.held.set(jobId, tenantId);
    return {
      release: async () => {
        this.held.delete(jobId);
        await this.deps.redis.zrem(this.slotsKey(tenantId), jobId).catch(() => {});
      },
    };
  }

  /** Extends the leases of every slot this process holds. */
  async refresh(): Promise<void> {
    const byTenant = new Map<string, string[]>();
    for (const [jobId, tenant] of this.held) byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), jobId]);
    for (const [tenant, jobIds] of byTenant) {
      await this.run('refresh', this.slotsKey(tenant), String(this.leaseMs), ...jobIds).catch((err) =>
        this.deps.log.warn({ err, tenant }, 'could not refresh running-job slots'),
      );
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.deps.ownsRedis) await this.deps.redis.quit().catch(() => {});
  }

  /** A gate on its own Redis connection, with the tenant caps read from Postgres; close() closes both. */
  static start(config: Config, log: Logger, tenants: TenantsRepo): TenantGate {
    return new TenantGate({
      redis: createRedis(config.REDIS_URL, { name: 'agentq-worker-tenant-gate' }),
      ownsRedis: true,
      prefix: config.QUEUE_PREFIX,
      log,
      defaultCap: config.TENANT_MAX_RUNNING_JOBS,
      tenantCap: async (tenantId) => (await tenants.limits(tenantId))?.maxConcurrentJobs,
    });
  }

  private async run(script: keyof typeof SCRIPTS, key: string, ...args: string[]): Promise<unknown> {
    const { lua, sha: digest } = SCRIPTS[script];
    try {
      return await this.deps.redis.evalsha(digest, 1, key, ...args);
    } catch (error) {
      if (!String(error).includes('NOSCRIPT')) throw error;
      return await this.deps.redis.eval(lua, 1, key, ...args);
    }
  }
}
