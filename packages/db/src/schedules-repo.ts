// Recurring schedules. Postgres holds them; BullMQ job schedulers in Redis only fire them, and the worker
// rebuilds those from here when Redis has lost them (see apps/worker/src/schedules.ts).
import type { Prisma as Client } from './client.ts';

export interface ScheduleRow {
  id: string;
  tenant_id: string;
  name: string | null;
  cron: string | null;
  every_ms: number | null;
  /** What the API stored: the submit body as given, and the job each firing creates. */
  template: unknown;
  created_at: string;
}

export type ScheduleTiming = Pick<ScheduleRow, 'id' | 'tenant_id' | 'cron' | 'every_ms'>;

export interface NewSchedule {
  id: string;
  tenantId: string;
  name?: string | undefined;
  cron?: string | undefined;
  everyMs?: number | undefined;
  template: unknown;
}

export class SchedulesRepo {
  constructor(private readonly prisma: Client) {}

  async create(s: NewSchedule): Promise<ScheduleRow> {
    const rows = await this.prisma.$queryRaw<ScheduleRow[]>`
      INSERT INTO schedule (id, tenant_id, name, cron, every_ms, template)
      VALUES (${s.id}, ${s.tenantId}, ${s.name ?? null}, ${s.cron ?? null}, ${s.everyMs ?? null}::int,
              ${JSON.stringify(s.template)}::jsonb)
      RETURNING id, tenant_id, name, cron, every_ms, template, agentq_iso(created_at) AS created_at`;
    return rows[0]!;
  }

  async get(tenantId: string, id: string): Promise<ScheduleRow | undefined> {
    const rows = await this.prisma.$queryRaw<ScheduleRow[]>`
      SELECT id, tenant_id, name, cron, every_ms, template, agentq_iso(created_at) AS created_at
      FROM schedule WHERE id = ${id} AND tenant_id = ${tenantId}`;
    return rows[0];
  }

  async list(tenantId: string): Promise<ScheduleRow[]> {
    return this.prisma.$queryRaw<ScheduleRow[]>`
      SELECT id, tenant_id, name, cron, every_ms, template, agentq_iso(created_at) AS created_at
      FROM schedule WHERE tenant_id = ${tenantId} ORDER BY created_at, id`;
  }

  /** True when the tenant had this schedule (and now has not). */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const n = await this.prisma
      .$executeRaw`DELETE FROM schedule WHERE id = ${id} AND tenant_id = ${tenantId}`;
    return n > 0;
  }

  /** Every schedule's timing, for the reconciler. */
  async timings(): Promise<ScheduleTiming[]> {
    return this.prisma.$queryRaw<ScheduleTiming[]>`
      SELECT id, tenant_id, cron, every_ms FROM schedule ORDER BY id`;
  }
}
