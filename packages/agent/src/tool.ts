import type { ToolSpec } from './model.ts';

/**
 * What may happen when a call's outcome is unknown (its worker died mid-call) or it failed:
 * - safe: read-only or naturally idempotent; re-run freely.
 * - retry_with_key: has side effects but passes its idempotency key downstream, so a re-run is deduplicated.
 * - ask: a human decides whether to re-run.
 * - never: never re-run; an unknown outcome fails the job ("outcome unknown").
 */
export type ToolPolicy = 'safe' | 'retry_with_key' | 'ask' | 'never';

export const rerunnable = (policy: ToolPolicy): boolean => policy === 'safe' || policy === 'retry_with_key';

export interface ToolContext {
  jobId: string;
  tenantId: string;
  userId: string | undefined;
  callId: string;
  /** Stable for this logical call on every attempt; different calls never share one. */
  idempotencyKey: string;
  /** 1 on the first execution. */
  attempt: number;
  /** Aborted on cancel, job timeout, tool timeout or worker shutdown. */
  signal: AbortSignal;
}

export interface ToolResult {
  /** What the model reads. */
  content: string;
  /** Machine-readable result, kept in the checkpoint and shown at /jobs/:id/steps. */
  structured?: unknown;
  /** The tool ran and reports a failure the model should see (not retried). */
  isError?: boolean;
}

export interface Tool extends ToolSpec {
  policy: ToolPolicy;
  /** Per-call time limit; the deployment default applies when absent. */
  timeoutMs?: number;
  /** Validates input itself and returns isError results for bad input; throws only for failures worth a retry. */
  execute(input: unknown, ctx: ToolContext): Promise<ToolResult>;
}
