// The durable ReAct loop. Every model response is recorded as a step before any of its tool calls run,
// every tool call's lifecycle is recorded, and a resumed run re-uses all of it: no completed model call
// is paid for twice and no completed tool call is executed twice.

import type {
  CheckpointStore,
  JobSnapshot,
  Lease,
  NewToolCall,
  RecordedStep,
  RecordedToolCall,
  RunEnd,
  RunState,
  ToolOutcome,
} from './checkpoint.ts';
import { CONTINUE_AFTER_MAX_TOKENS, fitToBudget, LoopDetector, toolResultsMessage } from './conversation.ts';
import { CancelledError, JobFailure } from './errors.ts';
import type { Message, ToolCallRequest, ToolResultMessage } from './messages.ts';
import type { Model, ToolSpec } from './model.ts';
import { sleep } from './scripted.ts';
import { timeLimit } from './time-limit.ts';
import { rerunnable, type Tool, type ToolResult } from './tool.ts';

export interface RunPolicy {
  maxSteps: number;
  /** Input (cached or not) + output tokens over the whole job. */
  maxTokens?: number;
  maxCostUsd?: number;
  maxToolCalls?: number;
  maxOutputTokens: number;
  contextTokenBudget: number;
  loopThreshold: number;
  toolMaxAttempts: number;
  toolTimeoutMs: number;
  approvalTimeoutMs: number;
  /** Whether a call of this tool waits for a human's approval before it runs. */
  needsApproval(tool: Tool): boolean;
  /** Backoff before re-running a failed call (attempt is the one that failed, from 1). */
  toolRetryDelayMs?(attempt: number): number;
}

export interface AgentRun {
  store: CheckpointStore;
  lease: Lease;
  state: RunState;
  model: Model;
  tools: ReadonlyMap<string, Tool>;
  policy: RunPolicy;
  /** Aborted with a CancelledError (cancel), a JobFailure (timeout), or anything else (shutdown: rethrown). */
  signal: AbortSignal;
  system?: string;
  /** Earlier turns of the session, before this job's task. */
  history?: Message[];
  onEvent?: (event: string, fields: Record<string, unknown>) => void;
}

export const idempotencyKeyFor = (jobId: string, stepIndex: number, position: number): string =>
  `aq_${jobId}_${stepIndex}_${position}`;

const defaultRetryDelay = (attempt: number) =>
  Math.min(30_000, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random());

/** Runs the job to its end (or until it waits for a human) and records that end. */
export async function runAgent(run: AgentRun): Promise<RunEnd> {
  const deferred: ToolOutcome[] = [];
  try {
    const { end, finalStep } = await loop(run, deferred);
    await run.store.finish(run.lease, end, deferred.splice(0), finalStep);
    if (finalStep) announceStep(run, finalStep);
    return end;
  } catch (error) {
    const end = endFor(error, run.signal);
    if (!end) throw error;
    await run.store.finish(run.lease, end, end.status === 'cancelled' ? [] : deferred.splice(0));
    return end;
  }
}

/** Maps an error to the end it means, or undefined when the worker must deal with it (rethrown). */
function endFor(error: unknown, signal: AbortSignal): RunEnd | undefined {
  const reason = signal.aborted ? signal.reason : error;
  if (reason instanceof CancelledError || error instanceof CancelledError) return { status: 'cancelled' };
  if (reason instanceof JobFailure) return failed(reason);
  if (error instanceof JobFailure) return failed(error);
  return undefined;
}

const failed = (f: JobFailure): RunEnd => ({
  status: 'failed',
  error: { code: f.code, message: f.message, ...(f.details === undefined ? {} : { details: f.details }) },
});

/** Tells the run's listener that a step is durable (its own write, or the job's end for a final answer). */
const announceStep = (run: AgentRun, step: RecordedStep) =>
  run.onEvent?.('step.recorded', {
    step: step.index,
    tool_calls: step.toolCalls.length,
    stop_reason: step.stopReason,
  });

/** The run's end, and the model's final response when it is still to be recorded (with the end, one write). */
interface LoopEnd {
  end: RunEnd;
  finalStep?: RecordedStep;
}

async function loop(run: AgentRun, deferred: ToolOutcome[]): Promise<LoopEnd> {
  const { state, policy, lease } = run;
  const job = state.job;
  const task: Message = { role: 'user', text: job.task };
  const turns: Message[] = [];
  const detector = new LoopDetector(policy.loopThreshold);
  const specs: ToolSpec[] = [...run.tools.values()].map(({ name, description, inputSchema }) => ({
    name,
    description,
    inputSchema,
  }));
  const callsByStep = groupCalls(state.toolCalls);
  const usedCallIds = new Set(state.toolCalls.map((c) => c.callId));

  for (let index = 0; ; index++) {
    let step = state.steps[index];
    if (!step) {
      throwIfStopped(run.signal, job);
      checkBudgets(job, policy);
      const response = await run.model.generate({
        ...(run.system ? { system: run.system } : {}),
        messages: fitToBudget(run.history ?? [], task, turns, policy.contextTokenBudget),
        tools: specs,
        maxOutputTokens: policy.maxOutputTokens,
        signal: run.signal,
        stepIndex: index,
      });
      step = { ...response, index, toolCalls: uniqueCallIds(response.toolCalls, index, usedCallIds) };
      if (isFinalAnswer(step)) {
        // The answer is recorded together with the job's end: one commit instead of two. A crash before
        // that commit costs this one model call again, as it would for any step not yet recorded.
        addUsage(job, step);
        return { end: { status: 'succeeded', result: step.text }, finalStep: step };
      }
      const calls: NewToolCall[] = step.toolCalls.map((c, position) => ({
        callId: c.id,
        position,
        name: c.name,
        input: c.input,
        idempotencyKey: idempotencyKeyFor(job.id, index, position),
      }));
      await run.store.recordStep(lease, step, calls, deferred.splice(0));
      addUsage(job, step);
      callsByStep.set(
        index,
        calls.map((c) => freshCall(c, index)),
      );
      announceStep(run, step);
    }
    turns.push({
      role: 'assistant',
      text: step.text,
      toolCalls: step.toolCalls,
      ...(step.providerData === undefined ? {} : { providerData: step.providerData }),
    });

    if (step.stopReason === 'refusal') {
      throw new JobFailure('model_refusal', `the model refused the task${step.text ? `: ${step.text}` : ''}`);
    }
    if (isFinalAnswer(step)) return { end: { status: 'succeeded', result: step.text } };
    if (step.toolCalls.length === 0) {
      if (step.stopReason === 'max_tokens') turns.push({ role: 'user', text: CONTINUE_AFTER_MAX_TOKENS });
      continue; // pause_turn, or max_tokens: the model goes on
    }

    const results: ToolResultMessage[] = [];
    for (const call of callsByStep.get(index) ?? []) {
      const warning = detector.observe(call.name, call.input);
      if (warning === 'stop') {
        throw new JobFailure(
          'loop_detected',
          `the agent called ${call.name} with the same input ${detector.repeats} times in a row`,
        );
      }
      const resolved = await resolveCall(run, call, deferred);
      if ('waiting' in resolved) return { end: resolved.waiting };
      results.push({
        callId: call.callId,
        name: call.name,
        content: warning ? `${resolved.result.content}\n\n${warning}` : resolved.result.content,
        isError: resolved.result.isError === true,
      });
    }
    turns.push(toolResultsMessage(results));
  }
}

/** A response that ends the run: no tool calls, and the model did not stop short (refusals fail the job). */
const isFinalAnswer = (step: RecordedStep): boolean =>
  step.toolCalls.length === 0 &&
  step.stopReason !== 'pause_turn' &&
  step.stopReason !== 'max_tokens' &&
  step.stopReason !== 'refusal';

type Resolution = { result: ToolResult } | { waiting: RunEnd };

/** Decides what a tool call needs: its recorded result, a human, an execution, or the end of the job. */
async function resolveCall(
  run: AgentRun,
  call: RecordedToolCall,
  deferred: ToolOutcome[],
): Promise<Resolution> {
  if ((call.status === 'succeeded' || call.status === 'failed') && call.result)
    return { result: call.result };

  const tool = run.tools.get(call.name);
  if (!tool) {
    const result = errorResult(
      `unknown tool "${call.name}"; available: ${[...run.tools.keys()].join(', ') || 'none'}`,
    );
    deferred.push({ callId: call.callId, status: 'failed', result, attempts: call.attempts });
    return { result };
  }

  // Found running: its worker died mid-call, so its outcome is unknown — whatever a human approved before
  // (an approval covers one execution). Re-runnable policies just run again with the same key below.
  if (call.status === 'running' && !rerunnable(tool.policy)) {
    if (tool.policy === 'never') {
      throw new JobFailure(
        'outcome_unknown',
        `the worker stopped while ${call.name} (call ${call.callId}) was running; its retry policy is "never", so it was not run again`,
        { call_id: call.callId, idempotency_key: call.idempotencyKey },
      );
    }
    return {
      waiting: waitFor(
        run,
        call,
        `outcome unknown: the worker stopped while ${call.name} was running. Approve to run it again with the same idempotency key, or reject.`,
      ),
    };
  }
  switch (call.approval) {
    case 'rejected': {
      const result = errorResult(
        `a human rejected this call${call.approvalReason ? `: ${call.approvalReason}` : ''}`,
      );
      await run.store.recordToolOutcome(run.lease, {
        callId: call.callId,
        status: 'failed',
        result,
        attempts: call.attempts,
      });
      return { result };
    }
    case 'expired':
      throw new JobFailure('approval_expired', `the approval of ${call.name} (call ${call.callId}) expired`);
    case 'pending':
      return { waiting: waitFor(run, call, call.approvalReason ?? `${call.name} needs approval`) };
    case 'approved':
      break; // a human said run it
    default:
      if (run.policy.needsApproval(tool))
        return { waiting: waitFor(run, call, `${call.name} needs approval`) };
  }
  return { result: await execute(run, tool, call, deferred) };
}

const waitFor = (run: AgentRun, call: RecordedToolCall, reason: string): RunEnd => ({
  status: 'waiting_approval',
  callId: call.callId,
  reason,
  expiresAt: new Date(Date.now() + run.policy.approvalTimeoutMs),
});

/** Executes with timeout and per-policy retries; records the outcome (deferred for `safe` tools). */
async function execute(
  run: AgentRun,
  tool: Tool,
  call: RecordedToolCall,
  deferred: ToolOutcome[],
): Promise<ToolResult> {
  const { store, lease, state } = run;
  const maxAttempts = rerunnable(tool.policy) ? run.policy.toolMaxAttempts : 1;
  for (let attempt = call.attempts + 1; ; attempt++) {
    throwIfStopped(run.signal, state.job);
    // A safe call needs no "running" mark: if the worker dies, running it again is harmless.
    if (tool.policy !== 'safe') await store.markToolRunning(lease, call.callId, attempt, deferred.splice(0));
    run.onEvent?.('tool.started', { call_id: call.callId, tool: call.name, attempt });
    const limit = timeLimit(run.signal, tool.timeoutMs ?? run.policy.toolTimeoutMs);
    const { signal } = limit;
    let result: ToolResult;
    try {
      // Raced with the signal: a tool that ignores its signal still can't hold a cancelled or timed-out run.
      result = await untilAborted(
        tool.execute(call.input, {
          jobId: state.job.id,
          tenantId: state.job.tenantId,
          userId: state.job.userId,
          callId: call.callId,
          idempotencyKey: call.idempotencyKey,
          attempt,
          signal,
        }),
        signal,
      );
    } catch (error) {
      if (run.signal.aborted) throw run.signal.reason;
      const message = limit.timedOut()
        ? `${call.name} timed out after ${tool.timeoutMs ?? run.policy.toolTimeoutMs} ms`
        : `${call.name} failed: ${error instanceof Error ? error.message : String(error)}`;
      if (attempt < maxAttempts) {
        run.onEvent?.('tool.retry', { call_id: call.callId, attempt, error: message });
        await sleep((run.policy.toolRetryDelayMs ?? defaultRetryDelay)(attempt), run.signal);
        continue;
      }
      result = errorResult(message);
    } finally {
      limit.dispose();
    }
    const outcome: ToolOutcome = {
      callId: call.callId,
      status: result.isError ? 'failed' : 'succeeded',
      result,
      attempts: attempt,
    };
    if (tool.policy === 'safe') deferred.push(outcome);
    else await store.recordToolOutcome(lease, outcome);
    state.job.toolCallsUsed += 1;
    run.onEvent?.('tool.finished', {
      call_id: call.callId,
      tool: call.name,
      status: outcome.status,
      attempt,
    });
    return result;
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    // Always attached, so a tool that rejects after the abort never leaves an unhandled rejection.
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function throwIfStopped(signal: AbortSignal, job: JobSnapshot): void {
  if (signal.aborted) throw signal.reason;
  if (job.cancelRequested) throw new CancelledError(job.id);
  if (job.deadlineAt && Date.now() > job.deadlineAt.getTime()) {
    throw new JobFailure('timeout', `the job ran past its deadline (${job.deadlineAt.toISOString()})`);
  }
}

function checkBudgets(job: JobSnapshot, policy: RunPolicy): void {
  if (job.stepsUsed >= policy.maxSteps) {
    throw new JobFailure(
      'max_steps_exceeded',
      `the agent used all ${policy.maxSteps} steps without a final answer`,
    );
  }
  // Every token the job was billed for: cached input counts too (providers report it apart from input).
  const u = job.usage;
  const tokens = u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
  if (policy.maxTokens !== undefined && tokens >= policy.maxTokens) {
    throw new JobFailure('budget_exceeded', `token budget reached: ${tokens} of ${policy.maxTokens}`, {
      budget: 'max_tokens',
    });
  }
  if (policy.maxCostUsd !== undefined && job.costUsd >= policy.maxCostUsd) {
    throw new JobFailure(
      'budget_exceeded',
      `cost budget reached: $${job.costUsd.toFixed(6)} of $${policy.maxCostUsd}`,
      {
        budget: 'max_cost_usd',
      },
    );
  }
  if (policy.maxToolCalls !== undefined && job.toolCallsUsed >= policy.maxToolCalls) {
    throw new JobFailure(
      'budget_exceeded',
      `tool call budget reached: ${job.toolCallsUsed} of ${policy.maxToolCalls}`,
      {
        budget: 'max_tool_calls',
      },
    );
  }
}

function addUsage(job: JobSnapshot, step: RecordedStep): void {
  job.stepsUsed += 1;
  job.usage.inputTokens += step.usage.inputTokens;
  job.usage.outputTokens += step.usage.outputTokens;
  job.usage.cacheReadTokens += step.usage.cacheReadTokens;
  job.usage.cacheWriteTokens += step.usage.cacheWriteTokens;
  job.costUsd += step.costUsd;
}

/** Provider ids may be missing or repeat across steps (some OpenAI-compatible servers); ours never do. */
function uniqueCallIds(calls: ToolCallRequest[], stepIndex: number, used: Set<string>): ToolCallRequest[] {
  return calls.map((c, position) => {
    const id =
      c.id && /^[A-Za-z0-9_-]{1,64}$/.test(c.id) && !used.has(c.id) ? c.id : `call_${stepIndex}_${position}`;
    used.add(id);
    return { ...c, id };
  });
}

function groupCalls(calls: RecordedToolCall[]): Map<number, RecordedToolCall[]> {
  const byStep = new Map<number, RecordedToolCall[]>();
  for (const c of calls) {
    const list = byStep.get(c.stepIndex) ?? [];
    list.push(c);
    byStep.set(c.stepIndex, list);
  }
  for (const list of byStep.values()) list.sort((a, b) => a.position - b.position);
  return byStep;
}

const freshCall = (c: NewToolCall, stepIndex: number): RecordedToolCall => ({
  ...c,
  stepIndex,
  status: 'pending',
  result: undefined,
  attempts: 0,
  approval: undefined,
  approvalReason: undefined,
});

const errorResult = (content: string): ToolResult => ({ content, isError: true });
