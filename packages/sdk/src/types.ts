// The wire types of the agentq HTTP API (JSON, snake_case), as the API sends and accepts them.

export type JobStatus = 'queued' | 'running' | 'waiting_approval' | 'succeeded' | 'failed' | 'cancelled';
export type TerminalJobStatus = 'succeeded' | 'failed' | 'cancelled';

export const TERMINAL_STATUSES: readonly TerminalJobStatus[] = ['succeeded', 'failed', 'cancelled'];

/** True for the statuses a job never leaves. */
export function isTerminalStatus(status: string): status is TerminalJobStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export interface JobError {
  /** e.g. `script_exhausted`, `max_steps_exceeded`, `approval_expired`, `outcome_unknown`. */
  code: string;
  message: string;
  details?: unknown;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
}

/** The status object: answered by GET /status/:id, POST /run, cancel and approvals; the data of status events and webhooks. */
export interface Job {
  job_id: string;
  status: JobStatus;
  /** The final answer; set when status is `succeeded`. */
  result: string | null;
  /** Set when status is `failed`. */
  error: JobError | null;
  steps_used: number;
  tool_calls_used: number;
  usage: Usage;
  model: string;
  user_id: string | null;
  session_id: string | null;
  metadata: Record<string, unknown> | null;
  /** ISO 8601 timestamps. */
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** One turn of the `scripted` model (tests, demos, replays) instead of an LLM. */
export interface ScriptTurn {
  text?: string;
  tool_calls?: { id?: string; name: string; input?: unknown }[];
  usage?: { input_tokens?: number; output_tokens?: number };
  /** Milliseconds to "think" before answering. */
  delay_ms?: number;
}

/** The body of POST /submit and POST /run. Unknown fields are refused by the API (400). */
export interface SubmitRequest {
  task: string;
  model?: string;
  script?: ScriptTurn[];
  /** Tool names this job may use; absent = every tool the deployment allows. */
  tools?: string[];
  /** Tool names whose calls wait for a human's approval. */
  approval?: string[];
  max_steps?: number;
  max_tokens?: number;
  max_cost_usd?: number;
  max_tool_calls?: number;
  system?: string;
  user_id?: string;
  session_id?: string;
  /** Where the job's webhooks go (Standard Webhooks; verify them with `verifyWebhook`). */
  webhook_url?: string;
  metadata?: Record<string, unknown>;
}

export interface SubmitResponse {
  job_id: string;
  /** `queued` for a new job; a replayed Idempotency-Key answers with the existing job's current status. */
  status: JobStatus;
  status_url: string;
  /** From the `Idempotent-Replayed` header: true when the key matched an earlier submit (no new job). */
  replayed: boolean;
}

/** POST /run: the status object, terminal or not (check `status`), plus where to poll it. */
export interface RunResponse extends Job {
  status_url: string;
}

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'pause_turn' | 'refusal' | 'stop_sequence';
export type ToolCallStatus = 'pending' | 'running' | 'succeeded' | 'failed';
export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired';

/** What a tool returned: `content` is what the model read. */
export interface ToolResult {
  content: string;
  structured?: unknown;
  isError?: boolean;
}

export interface ToolCall {
  call_id: string;
  name: string;
  input: unknown;
  status: ToolCallStatus;
  result: ToolResult | null;
  error: string | null;
  /** Passed to the tool on every attempt, so side effects happen once. */
  idempotency_key: string;
  attempts: number;
  /** null when the call needed no approval. */
  approval: ApprovalState | null;
  approval_reason: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface Step {
  index: number;
  text: string;
  stop_reason: StopReason;
  model: string;
  usage: { input_tokens: number; output_tokens: number; cost_usd: number };
  created_at: string;
  tool_calls: ToolCall[];
}

export type DeliveryStatus = 'pending' | 'delivered' | 'gone' | 'refused' | 'exhausted';

export interface DeliveryAttempt {
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  at: string;
}

/** One webhook of a job and its attempts (GET /jobs/:id/deliveries). */
export interface Delivery {
  id: string;
  /** The `webhook-id` header, the same on every attempt. */
  webhook_id: string;
  event_type: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
  attempt_log: DeliveryAttempt[];
}

/** POST /deliveries/:id/redeliver: the delivery is pending again and will be sent shortly. */
export interface RedeliverResponse {
  id: string;
  status: 'pending';
}

export interface StepEventData {
  index: number;
  text: string;
  stop_reason: StopReason;
  model: string;
  usage: { input_tokens: number; output_tokens: number };
  cost_usd: number;
  /** The calls the model asked for in this step (their outcomes follow as `tool_call` events). */
  tool_calls: { call_id: string; name: string; input: unknown }[];
}

/** A call started (`status: 'running'`, with `attempt`) or ended (`succeeded`/`failed`, with `attempts` and `result`). */
export interface ToolCallEventData {
  call_id: string;
  status: ToolCallStatus;
  attempt?: number;
  attempts?: number;
  result?: ToolResult;
}

/**
 * A call now waits for a human (`reason`, `expires_at`, no `decision`), or the wait ended
 * (`decision`: approved / rejected / expired; `edited` when an approval changed the input).
 */
export interface ApprovalEventData {
  call_id: string;
  decision?: 'approved' | 'rejected' | 'expired';
  reason?: string | null;
  expires_at?: string;
  edited?: boolean;
}

interface JobEventBase {
  /** Dense per job, from 1: the SSE `id`, and what `lastEventId` resumes after. */
  seq: number;
  created_at: string;
}

/**
 * One event of GET /jobs/:id/events. Narrow on `type`. A server newer than this SDK may send types not
 * listed here; they are passed through as they are, so give a `switch` a default branch.
 */
export type JobEvent =
  | (JobEventBase & { type: 'status'; data: Job })
  | (JobEventBase & { type: 'step'; data: StepEventData })
  | (JobEventBase & { type: 'tool_call'; data: ToolCallEventData })
  | (JobEventBase & { type: 'approval'; data: ApprovalEventData });

export type JobEventType = JobEvent['type'];
