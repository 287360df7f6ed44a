// The BullMQ processor for agent runs: claim the job in Postgres, run the durable loop, and map what
// happened onto BullMQ (complete, retry later, hand back, or fail without retry).
import {
  CancelledError,
  type CheckpointStore,
  JobFailure,
  LeaseLostError,
  type Message,
  type Model,
  RetryableError,
  type RunEnd,
  type RunPolicy,
  runAgent,
  type Tool,
} from '@agentq/agent';
import type { Config, Logger } from '@agentq/config';
import { parsePayload, type RunConfig, runConfigSchema } from '@agentq/queue';
import { DelayedError, type Job, UnrecoverableError, WaitingError } from 'bullmq';

/** What a run needs from the deployment: models and tools (wired in main.ts, or by tests). */
export interface Runtime {
  /** Throws JobFailure('invalid_job') when the model can't be used. */
  model(name: string, script: RunConfig['script']): Model;
  /** The tools a job may use: its own selection within what the deployment allows. */
  tools(selection: string[] | undefined): ReadonlyMap<string, Tool>;
  /** Optional context for the run (session history, recalled memories). */
  prepare?(job: { tenantId: string; userId?: string; sessionId?: string; task: string }): Promise<{
    system?: string;
    history?: Message[];
  }>;
  /** Called once the run ends (append the session turn, save a memory summary). */
  finished?(
    job: { id: string; tenantId: string; userId?: string; sessionId?: string; task: string },
    end: RunEnd,
  ): Promise<void>;
  /**
   * Sessions run one job at a time, oldest first (README "Memory"); the claim already checked the order.
   * Called right after a job with a session is claimed: `leave` when the job now holds its session until
   * leave(), or `waitMs` when the previous job's worker is still finishing up (the job is handed back and
   * looks again).
   */
  enterSession?(job: { id: string; tenantId: string; sessionId: string }): Promise<SessionEntry>;
  /**
   * A job that already succeeded was handed out again: its worker may have died before finished() did its
   * writes, so redo them (they are idempotent).
   */
  redoFinished?(jobId: string): Promise<void>;
}

export type SessionEntry = { waitMs: number; reason: string } | { leave(): Promise<void> };

/** Thrown into a run's signal when the worker shuts down: the run is handed back, not ended. */
export class ShutdownSignal extends Error {
  override name = 'ShutdownSignal';
}

export interface RunProcessorDeps {
  store: CheckpointStore;
  runtime: Runtime;
  config: Config;
  log: Logger;
  workerId: string;
  /** Live runs of this process, so a cancel message or shutdown can abort them. */
  running: Map<string, AbortController>;
  /** Whether the worker holding a lease is still alive (its heartbeat key exists). */
  ownerAlive(owner: string): Promise<boolean>;
  /** Per-tenant running-jobs cap (tenant-gate.ts): a slot, or a DelayedError when the tenant is at its cap. */
  tenantGate?: { enter(job: Job, token: string | undefined): Promise<{ release(): Promise<void> }> };
}

/** How long a run waits before looking again when its job's owner is still alive. */
const OWNER_ALIVE_RECHECK_MS = 1_000;
/** How soon a job looks again when an earlier job of its session has not ended yet. */
export const SESSION_ORDER_RECHECK_MS = 1_000;
/** The same, when that earlier job waits for a human (which takes minutes to hours, not seconds). */
export const SESSION_APPROVAL_RECHECK_MS = 5_000;

export function createRunProcessor(deps: RunProcessorDeps) {
  const { store, config, log, workerId } = deps;

  /** Claims the job; a lease held by a dead worker is taken over, one held by a live worker is left alone. */
  async function claimJob(jobId: string) {
    const claim = await store.claim(jobId, workerId, config.JOB_TIMEOUT_MS);
    if (claim.kind !== 'held' || (await deps.ownerAlive(claim.owner))) return claim;
    return store.claim(jobId, workerId, config.JOB_TIMEOUT_MS, { takeoverFrom: claim.owner });
  }

  return async function processRun(job: Job, token?: string): Promise<{ status: string }> {
    const { job_id: jobId } = parsePayload('agentRun', job.data);
    /** Puts the queue entry back for later; the job is not this worker's to run now. */
    const lookAgainLater = async (waitMs: number, why: Record<string, unknown>): Promise<never> => {
      log.debug({ job_id: jobId, ...why }, 'job not runnable yet; looking again later');
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    };
    // BullMQ may hand a job back to the process still running it (after a Redis restart or a false stall).
    // The job counts as running here from this check on, so a second copy can't slip in while this one is
    // being claimed (the claim alone can't tell: the lease is this worker's either way).
    if (deps.running.has(jobId)) return lookAgainLater(OWNER_ALIVE_RECHECK_MS, { reason: 'running here' });
    const controller = new AbortController();
    deps.running.set(jobId, controller);
    // Tenant gate: at most the tenant's cap of its jobs run at once; over it, the job waits (tenant-gate.ts).
    const slot = await deps.tenantGate?.enter(job, token).catch((error) => {
      deps.running.delete(jobId);
      throw error;
    });
    let session: SessionEntry | undefined;
    // Lets go of the job in this process: leaves its session, gives back the tenant's slot, forgets the run.
    const letGo = async () => {
      deps.running.delete(jobId);
      if (session && 'leave' in session) await session.leave();
      await slot?.release();
    };
    let claim: Awaited<ReturnType<typeof claimJob>>;
    try {
      claim = await claimJob(jobId);
      const sessionId = claim.kind === 'claimed' ? claim.state.job.sessionId : undefined;
      if (claim.kind === 'claimed' && sessionId && deps.runtime.enterSession) {
        session = await deps.runtime.enterSession({
          id: jobId,
          tenantId: claim.state.job.tenantId,
          sessionId,
        });
        if ('waitMs' in session) await store.release(claim.lease);
      }
    } catch (error) {
      await letGo();
      throw error;
    }
    if (session && 'waitMs' in session) {
      await letGo();
      return lookAgainLater(session.waitMs, { reason: session.reason });
    }
    if (claim.kind !== 'claimed') await letGo();
    switch (claim.kind) {
      case 'held':
        // Liveness gate: a live worker is running it (a lost Redis, a stall false positive). Taking it over
        // would interrupt a healthy run mid-call; wait for that worker to finish or die instead.
        return lookAgainLater(OWNER_ALIVE_RECHECK_MS, { owner: claim.owner });
      case 'waiting':
        return lookAgainLater(
          claim.forStatus === 'waiting_approval' ? SESSION_APPROVAL_RECHECK_MS : SESSION_ORDER_RECHECK_MS,
          { reason: `job ${claim.forJobId} of the session (${claim.forStatus}) goes first` },
        );
      case 'not_runnable':
        if (claim.status === 'succeeded') await deps.runtime.redoFinished?.(jobId);
        log.debug({ job_id: jobId, status: claim.status }, 'nothing to run');
        return { status: claim.status };
    }
    const { lease, state } = claim;
    const jobLog = log.child({ job_id: jobId, tenant: state.job.tenantId });

    const deadline = state.job.deadlineAt
      ? setTimeout(
          () =>
            controller.abort(
              new JobFailure('timeout', `the job ran past its time limit of ${config.JOB_TIMEOUT_MS} ms`),
            ),
          Math.max(0, state.job.deadlineAt.getTime() - Date.now()),
        )
      : undefined;

    try {
      const parsed = runConfigSchema.safeParse(state.job.config);
      if (!parsed.success)
        throw new JobFailure(
          'invalid_job',
          `the job's stored configuration is invalid: ${parsed.error.message}`,
        );
      const runConfig = parsed.data;
      const model = deps.runtime.model(state.job.model, runConfig.script);
      const tools = deps.runtime.tools(runConfig.tools);
      const approval = new Set(runConfig.approval ?? []);
      const context = await deps.runtime.prepare?.({
        tenantId: state.job.tenantId,
        task: state.job.task,
        ...(state.job.userId ? { userId: state.job.userId } : {}),
        ...(state.job.sessionId ? { sessionId: state.job.sessionId } : {}),
      });
      const end = await runAgent({
        store,
        lease,
        state,
        model,
        tools,
        policy: runPolicy(config, runConfig, approval),
        signal: controller.signal,
        ...(runConfig.system || context?.system
          ? { system: [runConfig.system, context?.system].filter(Boolean).join('\n\n') }
          : {}),
        ...(context?.history ? { history: context.history } : {}),
        onEvent: (event, fields) => jobLog.debug({ ...fields, event }, event),
      });
      jobLog.info({ status: end.status, steps: state.job.stepsUsed }, `run ended: ${end.status}`);
      await deps.runtime.finished?.(
        { ...state.job, userId: state.job.userId, sessionId: state.job.sessionId },
        end,
      );
      return { status: end.status };
    } catch (error) {
      return await handleError(error);
    } finally {
      clearTimeout(deadline);
      await letGo();
    }

    async function handleError(error: unknown): Promise<{ status: string }> {
      const reason = controller.signal.aborted ? controller.signal.reason : error;
      if (error instanceof LeaseLostError || reason instanceof LeaseLostError) {
        jobLog.warn('lease lost: another worker owns this job now; stopping without writing');
        return { status: 'lease_lost' };
      }
      if (reason instanceof ShutdownSignal) {
        // Hand the job back at once so another worker resumes it from the checkpoint.
        await store.release(lease);
        jobLog.info('shutting down: job handed back');
        // The queue entry may be gone (Redis restarted); the reconciler re-enqueues a released job anyway.
        if (token) await job.moveToWait(token).catch(() => {});
        throw new WaitingError();
      }
      if (error instanceof JobFailure || error instanceof CancelledError) {
        // Failed before the loop could record it (e.g. invalid model): record it now.
        const end: RunEnd =
          error instanceof CancelledError
            ? { status: 'cancelled' }
            : { status: 'failed', error: { code: error.code, message: error.message } };
        await store.finish(lease, end, []);
        return { status: end.status };
      }
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (lastAttempt) {
        const message = error instanceof Error ? error.message : String(error);
        await store
          .finish(
            lease,
            {
              status: 'failed',
              error: { code: error instanceof RetryableError ? 'model_error' : 'internal_error', message },
            },
            [],
          )
          .catch((e) => jobLog.error({ err: e }, 'could not record the failure'));
        throw new UnrecoverableError(message);
      }
      await store.release(lease).catch(() => {});
      jobLog.warn(
        { err: error, attempt: job.attemptsMade + 1 },
        'run interrupted; BullMQ will retry it from the checkpoint',
      );
      throw error;
    }
  };
}

function runPolicy(config: Config, run: RunConfig, approval: ReadonlySet<string>): RunPolicy {
  return {
    maxSteps: run.max_steps,
    ...(run.max_tokens !== undefined ? { maxTokens: run.max_tokens } : {}),
    ...(run.max_cost_usd !== undefined ? { maxCostUsd: run.max_cost_usd } : {}),
    ...(run.max_tool_calls !== undefined ? { maxToolCalls: run.max_tool_calls } : {}),
    maxOutputTokens: config.MODEL_MAX_OUTPUT_TOKENS,
    contextTokenBudget: config.CONTEXT_TOKEN_BUDGET,
    loopThreshold: config.LOOP_DETECTION_THRESHOLD,
    toolMaxAttempts: config.TOOL_MAX_ATTEMPTS,
    toolTimeoutMs: config.TOOL_TIMEOUT_MS,
    approvalTimeoutMs: config.APPROVAL_TIMEOUT_MS,
    needsApproval: (tool: Tool) =>
      approval.has(tool.name) || (config.APPROVAL_REQUIRED_FOR_ASK && tool.policy === 'ask'),
  };
}
