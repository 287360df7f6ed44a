// What the worker asks Postgres about a job's session: which finished jobs' turns are not in the session log
// yet (a worker that died between a job's final checkpoint and its session append). Whose turn it is (jobs
// of one session run one at a time, oldest first) is decided by the claim (checkpoint-store.ts).
import type { Prisma as Client } from './client.ts';

export interface SessionJobInfo {
  tenantId: string;
  userId: string | undefined;
  sessionId: string | undefined;
  status: string;
  task: string;
  result: string | undefined;
}

export interface UnrecordedJob {
  id: string;
  task: string;
  result: string;
}

export class SessionJobs {
  constructor(private readonly prisma: Client) {}

  /** undefined for an unknown job. */
  async info(jobId: string): Promise<SessionJobInfo | undefined> {
    const rows = await this.prisma.$queryRaw<
      {
        tenant_id: string;
        user_id: string | null;
        session_id: string | null;
        status: string;
        task: string;
        result: string | null;
      }[]
    >`
      SELECT j.tenant_id, j.user_id, j.session_id, j.status, j.task, j.result FROM job j
      WHERE j.id = ${jobId}::uuid`;
    const r = rows[0];
    if (!r) return undefined;
    return {
      tenantId: r.tenant_id,
      userId: r.user_id ?? undefined,
      sessionId: r.session_id ?? undefined,
      status: r.status,
      task: r.task,
      result: r.result ?? undefined,
    };
  }

  /**
   * Succeeded jobs of the session, up to and including `uptoJobId` in submission order, that have no
   * turns in session_message: their appends are owed. Oldest first.
   */
  async unrecorded(
    tenantId: string,
    sessionId: string,
    uptoJobId: string,
    limit = 100,
  ): Promise<UnrecordedJob[]> {
    const rows = await this.prisma.$queryRaw<{ id: string; task: string; result: string | null }[]>`
      SELECT j.id::text AS id, j.task, j.result FROM job j
      WHERE j.tenant_id = ${tenantId} AND j.session_id = ${sessionId} AND j.status = 'succeeded'
        AND (j.created_at, j.id) <= (SELECT created_at, id FROM job WHERE id = ${uptoJobId}::uuid)
        AND NOT EXISTS (
          SELECT 1 FROM session_message m
          WHERE m.tenant_id = j.tenant_id AND m.session_id = j.session_id AND m.job_id = j.id
        )
      ORDER BY j.created_at, j.id
      LIMIT ${Math.max(1, Math.floor(limit))}::int`;
    return rows.map((r) => ({ id: r.id, task: r.task, result: r.result ?? '' }));
  }
}
