// Memory in the worker (README "Memory"), wired into the Runtime by runtime.ts:
// - long-term memory: memory_save / memory_search tools, MEMORY_AUTO_RECALL into the system prompt, and
//   MEMORY_SAVE_SUMMARY after a job succeeds;
// - sessions: a job with a session_id gets the session's earlier turns as history, and appends its own
//   task and answer when it succeeds. Jobs of one session run one at a time, oldest first: a job whose
//   session is busy WAITS (its queue entry is delayed and looked at again) rather than running beside it.
//
// Crash safety of the session turn: the append happens after the job's final checkpoint, so a worker can
// die in between. Appends are idempotent per job (PostgresSessionLog), and they are owed to every
// succeeded job of a session; so they are redone (from the job's row in Postgres) by whoever comes next:
// the next job of the session before it loads the history (under the session lock), and the job's own
// queue entry if BullMQ hands it out again after that worker's death. No later job of a session can run
// without the earlier jobs' turns.
import type { Message, RunEnd, Tool } from '@agentq/agent';
import type { Config, Logger } from '@agentq/config';
import type { Prisma } from '@agentq/db';
import { PostgresSessionLog, PostgresVectorStore, SessionJobs } from '@agentq/db/memory';
import {
  createMemory,
  createMemoryTools,
  LocalEmbedder,
  type MemoryService,
  SessionHistory,
  SessionLock,
  type VectorStore,
} from '@agentq/memory';
import type { Redis } from 'ioredis';
import type { SessionEntry } from './run-processor.ts';

/** Longest wait for the session lock before looking again (its holder is normally finishing up). */
export const SESSION_LOCK_RECHECK_MAX_MS = 500;
/** The assistant turn of a job that succeeded with an empty answer (models reject empty messages). */
export const EMPTY_ANSWER = '(no answer)';

export interface WorkerMemory {
  service: MemoryService;
  history: SessionHistory;
  /** memory_save and memory_search, for the toolbox (so ALLOWED_TOOLS applies to them). */
  tools: Tool[];
  prepare(job: { tenantId: string; userId?: string; sessionId?: string; task: string }): Promise<{
    system?: string;
    history?: Message[];
  }>;
  finished(
    job: { id: string; tenantId: string; userId?: string; sessionId?: string; task: string },
    end: RunEnd,
  ): Promise<void>;
  enterSession(job: { id: string; tenantId: string; sessionId: string }): Promise<SessionEntry>;
  redoFinished(jobId: string): Promise<void>;
}

export function createWorkerMemory(
  config: Config,
  log: Logger,
  deps: { prisma: Prisma; redis: Redis },
): WorkerMemory {
  const service = createMemory({
    embedder: config.EMBEDDER,
    embeddingModel: config.EMBEDDING_MODEL,
    ...(config.OPENAI_API_KEY ? { openaiApiKey: config.OPENAI_API_KEY } : {}),
    ...(config.OPENAI_BASE_URL ? { openaiBaseUrl: config.OPENAI_BASE_URL } : {}),
    ...(config.QDRANT_URL ? { qdrantUrl: config.QDRANT_URL } : {}),
    ...(config.QDRANT_API_KEY ? { qdrantApiKey: config.QDRANT_API_KEY } : {}),
    qdrantCollection: config.QDRANT_COLLECTION,
    postgresStore: new PostgresVectorStore(deps.prisma),
  });
  const keyPrefix = `${config.QUEUE_PREFIX}:`;
  const history = new SessionHistory({
    redis: deps.redis,
    log: new PostgresSessionLog(deps.prisma),
    ttlSeconds: config.SESSION_TTL,
    keyPrefix,
  });
  // A dead worker's session lock expires after about as long as BullMQ takes to hand its job over.
  const lock = new SessionLock({
    redis: deps.redis,
    keyPrefix,
    ttlMs: Math.max(5_000, config.WORKER_LOCK_MS),
  });
  const jobs = new SessionJobs(deps.prisma);

  const appendTurn = (tenantId: string, sessionId: string, jobId: string, task: string, result: string) =>
    history.append(tenantId, sessionId, jobId, [
      { role: 'user', text: task },
      { role: 'assistant', text: result.trim() === '' ? EMPTY_ANSWER : result },
    ]);

  /** Appends the turns owed by succeeded jobs of the session, up to and including `jobId`. */
  const catchUp = async (tenantId: string, sessionId: string, jobId: string) => {
    for (const owed of await jobs.unrecorded(tenantId, sessionId, jobId)) {
      if (await appendTurn(tenantId, sessionId, owed.id, owed.task, owed.result))
        log.info({ job_id: owed.id, session_id: sessionId }, 'session turn appended late (catch-up)');
    }
  };

  const saveSummary = async (job: {
    id: string;
    tenantId: string;
    userId?: string | undefined;
    task: string;
    result: string;
  }) => {
    if (!config.MEMORY_SAVE_SUMMARY || !job.userId) return;
    await service.saveSummary({
      tenantId: job.tenantId,
      userId: job.userId,
      jobId: job.id,
      task: job.task,
      result: job.result,
    });
  };

  return {
    service,
    history,
    tools: service.tools,

    async prepare(job) {
      const [turns, recalled] = await Promise.all([
        job.sessionId ? history.load(job.tenantId, job.sessionId) : Promise.resolve([]),
        config.MEMORY_AUTO_RECALL > 0 && job.userId
          ? service.recall({
              tenantId: job.tenantId,
              userId: job.userId,
              task: job.task,
              limit: config.MEMORY_AUTO_RECALL,
            })
          : Promise.resolve(''),
      ]);
      return { ...(turns.length > 0 ? { history: turns } : {}), ...(recalled ? { system: recalled } : {}) };
    },

    // Never throws: the job has ended and is recorded; what fails here is redone later (see the top).
    async finished(job, end) {
      if (end.status !== 'succeeded') return;
      if (job.sessionId) {
        await appendTurn(job.tenantId, job.sessionId, job.id, job.task, end.result).catch((err) =>
          log.warn({ err, job_id: job.id }, 'session turn not appended; the next job of the session will'),
        );
      }
      await saveSummary({ ...job, result: end.result }).catch((err) =>
        log.warn({ err, job_id: job.id }, 'job summary not saved to memory'),
      );
    },

    // The claim has checked the session's order (no earlier job unfinished); the lock waits for the previous
    // job's worker to finish its own append, and the catch-up makes sure every earlier turn is there.
    async enterSession(job) {
      const attempt = await lock.acquire(job.tenantId, job.sessionId, job.id);
      if (!attempt.acquired) {
        return {
          waitMs: Math.min(SESSION_LOCK_RECHECK_MAX_MS, attempt.retryAfterMs),
          reason: 'another job of the session is running',
        };
      }
      const stop = attempt.lease.keepAlive(() =>
        log.warn(
          { job_id: job.id, session_id: job.sessionId },
          'session lock lost (Redis unreachable for a whole lock TTL); the run goes on',
        ),
      );
      const leave = async () => {
        stop();
        await attempt.lease.release().catch(() => {});
      };
      try {
        await catchUp(job.tenantId, job.sessionId, job.id);
      } catch (error) {
        await leave();
        throw error;
      }
      return { leave };
    },

    async redoFinished(jobId) {
      const job = await jobs.info(jobId);
      if (job?.status !== 'succeeded') return;
      if (job.sessionId) await catchUp(job.tenantId, job.sessionId, jobId);
      await saveSummary({ ...job, id: jobId, result: job.result ?? '' });
    },
  };
}

/** Never used: the API's catalog only needs the memory tools' names and schemas, not a store. */
const catalogOnlyStore: VectorStore = {
  kind: 'none',
  upsert: () => Promise.reject(new Error('catalog-only memory tools cannot run')),
  query: () => Promise.reject(new Error('catalog-only memory tools cannot run')),
  list: () => Promise.reject(new Error('catalog-only memory tools cannot run')),
  delete: () => Promise.reject(new Error('catalog-only memory tools cannot run')),
};

/**
 * The memory tools as the API sees them when it checks a submission (`tools: ["memory_save"]`): the same
 * names and schemas as the worker's, without any connection to Redis, Postgres or Qdrant.
 */
export function catalogMemoryTools(): Tool[] {
  return createMemoryTools({ store: catalogOnlyStore, embedder: new LocalEmbedder() });
}
