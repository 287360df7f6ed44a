// The one narrow interface the durable loop writes through. packages/db implements it on Postgres;
// memory-store.ts implements it in memory; both pass test/checkpoint-store.spec.ts.
import type { ModelResponse, Usage } from './model.ts';
import type { ToolResult } from './tool.ts';

export type JobStatus = 'queued' | 'running' | 'waiting_approval' | 'succeeded' | 'failed' | 'cancelled';
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (s: JobStatus): boolean => TERMINAL_STATUSES.includes(s);

export interface JobError {
  code: string;
  message: string;
  details?: unknown;
}

export interface JobSnapshot {
  id: string;
  tenantId: string;
  userId: string | undefined;
  sessionId: string | undefined;
  task: string;
  /** The model name the job asked for. */
  model: string;
  /** The job's run configuration as submitted (script, tools, budgets…); the worker parses it. */
  config: Record<string, unknown>;
  status: JobStatus;
  stepsUsed: number;
  toolCallsUsed: number;
  usage: Usage;
  costUsd: number;
  cancelRequested: boolean;
  /** Wall-clock limit; set when the job first starts. */
  deadlineAt: Date | undefined;
}

export interface RecordedStep extends ModelResponse {
  index: number;
}

export type ToolCallStatus = 'pending' | 'running' | 'succeeded' | 'failed';
export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired';

export interface RecordedToolCall {
  callId: string;
  stepIndex: number;
  position: number;
  name: string;
  input: unknown;
  status: ToolCallStatus;
  result: ToolResult | undefined;
  idempotencyKey: string;
  attempts: number;
  approval: ApprovalState | undefined;
  approvalReason: string | undefined;
}

export interface RunState {
  job: JobSnapshot;
  /** Oldest first. */
  steps: RecordedStep[];
  /** Ordered by step, then position. */
  toolCalls: RecordedToolCall[];
}

/** Proof of ownership: every write is checked against the job's current lease epoch. */
export interface Lease {
  jobId: string;
  epoch: number;
  owner: string;
}

/** A tool call as first recorded with its step (status pending). */
export interface NewToolCall {
  callId: string;
  position: number;
  name: string;
  input: unknown;
  idempotencyKey: string;
}

export interface ToolOutcome {
  callId: string;
  status: 'succeeded' | 'failed';
  result: ToolResult;
  attempts: number;
}

export type RunEnd =
  | { status: 'succeeded'; result: string }
  | { status: 'failed'; error: JobError }
  | { status: 'cancelled' }
  | { status: 'waiting_approval'; callId: string; reason: string; expiresAt: Date };

export type ClaimResult =
  | { kind: 'claimed'; lease: Lease; state: RunState }
  /** Terminal, waiting for approval, unknown — nothing to run. */
  | { kind: 'not_runnable'; status: JobStatus | 'missing' }
  /**
   * Another worker holds the lease. If it is dead, claim again with `takeoverFrom: owner`; if it is alive,
   * leave the job alone (it is running).
   */
  | { kind: 'held'; owner: string }
  /** Jobs of a session run one at a time, oldest first: this earlier job of its session goes first. */
  | { kind: 'waiting'; forJobId: string; forStatus: JobStatus };

export interface ClaimOptions {
  /** Take the job from this lease owner, known to be dead. */
  takeoverFrom?: string;
}

/**
 * Every write is fenced by the lease (LeaseLostError when another worker took the job) and, apart from
 * finish(), refuses to proceed once a cancel was requested (CancelledError). `flush` carries outcomes of
 * `safe` tool calls whose recording was deferred to this write, so a step costs one commit.
 */
export interface CheckpointStore {
  /**
   * Takes the job (bumping the lease epoch), marks it running, and loads its whole state — unless another
   * worker holds it or an earlier job of its session has not ended. One statement for a fresh job.
   */
  claim(jobId: string, owner: string, jobTimeoutMs: number, options?: ClaimOptions): Promise<ClaimResult>;
  recordStep(lease: Lease, step: RecordedStep, calls: NewToolCall[], flush: ToolOutcome[]): Promise<void>;
  markToolRunning(lease: Lease, callId: string, attempt: number, flush: ToolOutcome[]): Promise<void>;
  recordToolOutcome(lease: Lease, outcome: ToolOutcome): Promise<void>;
  /**
   * Records the end. `finalStep` is the model's last response (no tool calls) when it produced the end: it is
   * recorded in the same write, fenced like recordStep (refused once a cancel was requested).
   */
  finish(lease: Lease, end: RunEnd, flush: ToolOutcome[], finalStep?: RecordedStep): Promise<void>;
  /** Gives the job back (worker shutdown): status stays running, the lease is dropped, nothing else changes. */
  release(lease: Lease): Promise<void>;
}
