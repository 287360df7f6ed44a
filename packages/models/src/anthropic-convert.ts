// The provider-neutral conversation ⇄ Anthropic Messages API shapes.

import type { Message, StopReason, ToolCallRequest, ToolSpec } from '@agentq/agent';
import type Anthropic from '@anthropic-ai/sdk';
import { isPlainObject } from './tool-arguments.ts';

/**
 * Current Claude models think by default, and an assistant turn that called tools must be sent back exactly
 * as received, thinking blocks and their signatures included. The blocks travel as the step's
 * `providerData` (recorded in Postgres with the step), so any worker can echo them on resume.
 */
export interface AnthropicProviderData {
  anthropic: { content: Anthropic.ContentBlockParam[] };
}

/** providerData for an answer: only turns that carry thinking need their blocks kept. */
export function providerDataOf(content: Anthropic.ContentBlockParam[]): AnthropicProviderData | undefined {
  return content.some((b) => b.type === 'thinking' || b.type === 'redacted_thinking')
    ? { anthropic: { content } }
    : undefined;
}

/** The recorded blocks of an assistant turn, when they belong to exactly this turn (same tool_use ids). */
function recordedBlocks(
  message: Extract<Message, { role: 'assistant' }>,
): Anthropic.ContentBlockParam[] | undefined {
  const content = (message.providerData as Partial<AnthropicProviderData> | undefined)?.anthropic?.content;
  if (!Array.isArray(content)) return undefined;
  const ids = content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : []));
  const same =
    ids.length === message.toolCalls.length && ids.every((id, i) => id === message.toolCalls[i]?.id);
  return same ? content : undefined;
}

type Turn = { role: 'user' | 'assistant'; content: Anthropic.ContentBlockParam[] };

/**
 * Assistant turns become text + tool_use blocks; tool results become a user turn of tool_result blocks.
 * Consecutive turns of one role are merged into one (the API wants user and assistant to alternate), and
 * empty turns are dropped (the API rejects empty content and empty text blocks).
 */
export function toAnthropicMessages(messages: readonly Message[]): Anthropic.MessageParam[] {
  const turns: Turn[] = [];
  for (const message of messages) {
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const content = blocksOf(message);
    if (content.length === 0) continue;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...content);
    else turns.push({ role, content });
  }
  for (const turn of turns) {
    // tool_result blocks must come first in their user turn, before any text.
    if (turn.role === 'user') turn.content.sort((a, b) => rank(a) - rank(b));
  }
  trimFinalAssistantText(turns);
  return turns;
}

function blocksOf(message: Message): Anthropic.ContentBlockParam[] {
  switch (message.role) {
    case 'user':
      return message.text ? [{ type: 'text', text: message.text }] : [];
    case 'assistant': {
      const original = recordedBlocks(message);
      if (original) return [...original];
      return [
        ...(message.text ? [{ type: 'text' as const, text: message.text }] : []),
        ...message.toolCalls.map((c) => ({
          type: 'tool_use' as const,
          id: c.id,
          name: c.name,
          // The API only takes an object; a value recorded by another provider is wrapped.
          input: isPlainObject(c.input) ? c.input : { value: c.input },
        })),
      ];
    }
    case 'tool':
      return message.results.map((r) => ({
        type: 'tool_result' as const,
        tool_use_id: r.callId,
        ...(r.content ? { content: r.content } : {}),
        is_error: r.isError,
      }));
  }
}

const rank = (block: Anthropic.ContentBlockParam) => (block.type === 'tool_result' ? 0 : 1);

/** A conversation may end with an assistant turn (a paused turn being continued); its text must not end in whitespace. */
function trimFinalAssistantText(turns: Turn[]): void {
  const last = turns.at(-1);
  const block = last?.role === 'assistant' ? last.content.at(-1) : undefined;
  if (last && block?.type === 'text') {
    const text = block.text.trimEnd();
    last.content[last.content.length - 1] = { ...block, text };
    if (!text) last.content.pop();
    if (last.content.length === 0) turns.pop();
  }
}

export function toAnthropicTools(tools: readonly ToolSpec[]): Anthropic.Tool[] {
  return tools.map((t) => ({
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    input_schema: { ...t.inputSchema, type: 'object' } as Anthropic.Tool.InputSchema,
  }));
}

export interface AnthropicAnswer {
  text: string;
  toolCalls: ToolCallRequest[];
  stopReason: StopReason;
  /** The blocks the answer is made of, as they must be echoed back (thinking included). */
  content: Anthropic.ContentBlockParam[];
}

export function fromAnthropicMessage(message: Anthropic.Message): AnthropicAnswer {
  let blocks = message.content;
  // A cut-off response may end in a tool_use whose input is incomplete: never run it. Earlier tool_use
  // blocks are complete (the model moved on from them) and are kept.
  if (cutOff(message.stop_reason) && blocks.at(-1)?.type === 'tool_use') blocks = blocks.slice(0, -1);
  let text = '';
  const toolCalls: ToolCallRequest[] = [];
  for (const block of blocks) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'tool_use')
      toolCalls.push({ id: block.id, name: block.name, input: block.input });
  }
  const stopReason = mapStopReason(message.stop_reason, toolCalls.length > 0);
  if (stopReason === 'refusal' && !text) text = refusalText(message.stop_details);
  return { text, toolCalls, stopReason, content: blocks as Anthropic.ContentBlockParam[] };
}

const cutOff = (reason: Anthropic.StopReason | null) =>
  reason === 'max_tokens' || reason === 'model_context_window_exceeded';

/**
 * Every documented stop_reason maps to its namesake, except `model_context_window_exceeded` → max_tokens
 * (the output was cut off by the context window rather than max_tokens; either way it is incomplete, and
 * the loop asks the model to continue). `tool_use` without any tool call left (all cut off) is end_turn.
 * null or a value this SDK does not know yet: tool_use if the response called tools, else end_turn, so
 * the loop does what the content says.
 */
export function mapStopReason(reason: string | null, hasToolCalls: boolean): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'pause_turn':
    case 'refusal':
    case 'stop_sequence':
    case 'max_tokens':
      return reason;
    case 'model_context_window_exceeded':
      return 'max_tokens';
    default: // 'tool_use', null, or unknown
      return hasToolCalls ? 'tool_use' : 'end_turn';
  }
}

/** A refusal usually comes with no text; the loop reports the text, so give it the API's explanation. */
function refusalText(details: Anthropic.Message['stop_details']): string {
  if (!details) return '';
  const category = details.category ? `[${details.category}] ` : '';
  return `${category}${details.explanation ?? ''}`.trim();
}
