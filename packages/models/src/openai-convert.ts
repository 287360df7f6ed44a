// The provider-neutral conversation ⇄ OpenAI Chat Completions shapes (also spoken by Ollama, vLLM,
// LM Studio and most gateways).
import type { Message, StopReason, ToolCallRequest, ToolSpec } from '@agentq/agent';
import type OpenAI from 'openai';
import { parseToolArguments } from './tool-arguments.ts';

export function toOpenAIMessages(
  system: string | undefined,
  messages: readonly Message[],
): OpenAI.ChatCompletionMessageParam[] {
  const out: OpenAI.ChatCompletionMessageParam[] = system ? [{ role: 'system', content: system }] : [];
  for (const message of messages) {
    switch (message.role) {
      case 'user':
        out.push({ role: 'user', content: message.text });
        break;
      case 'assistant':
        // An empty assistant turn (a paused or cut-off step with nothing in it) says nothing: leave it out.
        if (!message.text && message.toolCalls.length === 0) break;
        out.push({
          role: 'assistant',
          content: message.text || null,
          ...(message.toolCalls.length > 0
            ? {
                tool_calls: message.toolCalls.map((c) => ({
                  id: c.id,
                  type: 'function' as const,
                  function: { name: c.name, arguments: JSON.stringify(c.input ?? {}) },
                })),
              }
            : {}),
        });
        break;
      case 'tool':
        // Chat Completions has no error flag on a tool message, so the failure is said in the content.
        for (const r of message.results) {
          out.push({
            role: 'tool',
            tool_call_id: r.callId,
            content: r.isError ? `Error: ${r.content}` : r.content,
          });
        }
        break;
    }
  }
  return out;
}

export function toOpenAITools(tools: readonly ToolSpec[]): OpenAI.ChatCompletionTool[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.inputSchema },
  }));
}

export interface OpenAIAnswer {
  text: string;
  toolCalls: ToolCallRequest[];
  stopReason: StopReason;
}

export function fromChatChoice(choice: OpenAI.ChatCompletion.Choice): OpenAIAnswer {
  const message = choice.message;
  // Compatible servers may leave out `type`; anything with a `function` is a function call.
  let calls = (message.tool_calls ?? []).filter(
    (c): c is OpenAI.ChatCompletionMessageFunctionToolCall => c.type !== 'custom' && 'function' in c,
  );
  // A cut-off response's last tool call may have truncated arguments: never run it.
  if (choice.finish_reason === 'length') calls = calls.slice(0, -1);
  const toolCalls = calls.map((c) => ({
    // A missing id (some local servers) stays empty: the agent loop gives it a unique one.
    id: c.id ?? '',
    name: c.function.name,
    input: parseToolArguments(c.function.arguments),
  }));
  const content = typeof message.content === 'string' ? message.content : '';
  const refusal = typeof message.refusal === 'string' && message.refusal ? message.refusal : undefined;
  const stopReason = mapFinishReason(choice.finish_reason, toolCalls.length > 0, refusal !== undefined);
  return { text: refusal && !content ? refusal : content, toolCalls, stopReason };
}

/**
 * stop → end_turn; tool_calls (and the legacy function_call) → tool_use; length → max_tokens;
 * content_filter or a `message.refusal` → refusal. Some servers (Ollama) answer "stop" while calling tools,
 * and some send null or their own values: what the message contains decides, tool_use if it calls tools,
 * else end_turn.
 */
export function mapFinishReason(
  reason: string | null | undefined,
  hasToolCalls: boolean,
  refused: boolean,
): StopReason {
  if (refused || reason === 'content_filter') return 'refusal';
  if (reason === 'length') return 'max_tokens';
  return hasToolCalls ? 'tool_use' : 'end_turn';
}
