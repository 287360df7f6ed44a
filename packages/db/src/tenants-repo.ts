// Tenants as the control plane sees them: their limits (set with `pnpm agentq tenants set`, read by the
// API's submit guard and the worker's running-jobs gate), what they spent today, and their API keys
// (listed without hashes). Creating and revoking keys lives in apps/api/src/keys.ts.
import type { Prisma as Client } from './client.ts';

/** A tenant's own limits; null means "use the deployment default" (TENANT_* / RATE_LIMIT_* settings). */
export interface TenantLimits {
  dailyCostCapUsd: number | null;
  maxConcurrentJobs: number | null;
  submitsPerMinute: number | null;
}

export interface TenantRow {
  id: string;
  name: string;
  daily_cost_cap_usd: number | null;
  max_concurrent_jobs: number | null;
  submits_per_minute: number | null;
  created_at: string;
}

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  prefix: string;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
}

/** Which limits to change: a value sets it, null clears it (back to the default), absent leaves it. */
export type TenantLimitChanges = Partial<TenantLimits>;

export class TenantsRepo {
  constructor(private readonly prisma: Client) {}

  /** The tenant's own limits, or undefined for a tenant that has no row. */
  async limits(tenantId: string): Promise<TenantLimits | undefined> {
    const rows = await this.prisma.$queryRaw<TenantRow[]>`
      SELECT daily_cost_cap_usd::float8 AS daily_cost_cap_usd, max_concurrent_jobs, submits_per_minute
      FROM tenant WHERE id = ${tenantId}`;
    const row = rows[0];
    if (!row) return undefined;
    return {
      dailyCostCapUsd: row.daily_cost_cap_usd,
      maxConcurrentJobs: row.max_concurrent_jobs,
      submitsPerMinute: row.submits_per_minute,
    };
  }

  /** Creates the tenant if needed and applies the changes; returns the row after the change. */
  async set(tenantId: string, changes: TenantLimitChanges): Promise<TenantRow> {
    const has = (k: keyof TenantLimits) => Object.hasOwn(changes, k);
    const rows = await this.prisma.$queryRaw<TenantRow[]>`
      INSERT INTO tenant (id, name, daily_cost_cap_usd, max_concurrent_jobs, submits_per_minute)
      VALUES (${tenantId}, ${tenantId}, ${changes.dailyCostCapUsd ?? null}::numeric,
              ${changes.maxConcurrentJobs ?? null}::int, ${changes.submitsPerMinute ?? null}::int)
      ON CONFLICT (id) DO UPDATE SET
        daily_cost_cap_usd = CASE WHEN ${has('dailyCostCapUsd')} THEN EXCLUDED.daily_cost_cap_usd
                                  ELSE tenant.daily_cost_cap_usd END,
        max_concurrent_jobs = CASE WHEN ${has('maxConcurrentJobs')} THEN EXCLUDED.max_concurrent_jobs
                                   ELSE tenant.max_concurrent_jobs END,
        submits_per_minute = CASE WHEN ${has('submitsPerMinute')} THEN EXCLUDED.submits_per_minute
                                  ELSE tenant.submits_per_minute END
      RETURNING id, name, daily_cost_cap_usd::float8 AS daily_cost_cap_usd, max_concurrent_jobs,
                submits_per_minute, agentq_iso(created_at) AS created_at`;
    return rows[0]!;
  }

  async list(): Promise<TenantRow[]> {
    return this.prisma.$queryRaw<TenantRow[]>`
      SELECT id, name, daily_cost_cap_usd::float8 AS daily_cost_cap_usd, max_concurrent_jobs,
             submits_per_minute, agentq_iso(created_at) AS created_at
      FROM tenant ORDER BY id`;
  }

  /**
   * USD spent by the jobs the tenant created since midnight UTC (what the daily cost cap counts).
   * Attributing a job's whole cost to the day it was created keeps this one index range scan.
   */
  async costToday(tenantId: string): Promise<number> {
    const rows = await this.prisma.$queryRaw<{ usd: number }[]>`
      SELECT coalesce(sum(cost_usd), 0)::float8 AS usd FROM job
      WHERE tenant_id = ${tenantId}
        AND created_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`;
    return rows[0]?.usd ?? 0;
  }

  /** API keys, newest first, without their hashes. */
  async listKeys(tenantId?: string): Promise<ApiKeyRow[]> {
    return this.prisma.$queryRaw<ApiKeyRow[]>`
      SELECT id, tenant_id, prefix, name, agentq_iso(created_at) AS created_at,
             agentq_iso(revoked_at) AS revoked_at
      FROM api_key WHERE ${tenantId ?? null}::text IS NULL OR tenant_id = ${tenantId ?? null}
      ORDER BY created_at DESC, id`;
  }
}
