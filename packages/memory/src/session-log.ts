// Short-term memory's durable half: the ordered turns of a session (one user task and one assistant
// answer per job). Postgres implements it (@agentq/db/memory); Redis keeps a hot copy (session-history.ts).

export type SessionRole = 'user' | 'assistant';

export interface SessionTurn {
  role: SessionRole;
  text: string;
}

export interface StoredTurn extends SessionTurn {
  /** 1, 2, 3… per session, without gaps. */
  seq: number;
  jobId: string;
}

export interface AppendResult {
  /** False when this job's turns were already there (a retried job): nothing was written. */
  appended: boolean;
  /** This job's turns as stored, either just now or by the earlier attempt. */
  turns: StoredTurn[];
}

export interface SessionLog {
  /** The session's last `limit` turns, oldest first. */
  load(tenantId: string, sessionId: string, limit: number): Promise<StoredTurn[]>;
  /** Adds the job's turns after the session's last one, once per job. */
  append(tenantId: string, sessionId: string, jobId: string, turns: SessionTurn[]): Promise<AppendResult>;
}
