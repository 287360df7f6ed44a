import type { Message, ToolCallRequest } from './messages.ts';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export const zeroUsage = (): Usage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});

/**
 * Why the model stopped. `pause_turn`: the provider paused a long turn and expects it sent back to
 * continue; `max_tokens`: the output was cut off; `refusal`: the model declined (the job fails).
 */
export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'pause_turn' | 'refusal' | 'stop_sequence';

export interface ModelResponse {
  text: string;
  toolCalls: ToolCallRequest[];
  stopReason: StopReason;
  usage: Usage;
  /** The model that answered, as the provider names it. */
  model: string;
  costUsd: number;
  /**
   * What the provider needs back verbatim in later requests (e.g. Anthropic's signed thinking blocks).
   * Opaque to the loop; recorded with the step, so a run resumed on another worker sends it too.
   */
  providerData?: unknown;
}

/** What a model is told about a tool. */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema (type: object) of the tool's input. */
  inputSchema: Record<string, unknown>;
}

export interface ModelRequest {
  system?: string;
  messages: Message[];
  tools: ToolSpec[];
  maxOutputTokens: number;
  signal: AbortSignal;
  /** 0-based index of the step this call produces (the scripted model uses it to pick its turn). */
  stepIndex: number;
}

export interface Model {
  /** The name a job uses to select it, e.g. "claude-sonnet-4-5", "gpt-4.1-mini", "scripted". */
  readonly id: string;
  generate(request: ModelRequest): Promise<ModelResponse>;
}
