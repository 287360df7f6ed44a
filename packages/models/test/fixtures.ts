// Provider wire payloads as the APIs document them, and a neutral request to send.
import type { Message, ModelRequest, ToolSpec } from '@agentq/agent';
import type { Reply } from './wire-server.ts';

export const weatherTool: ToolSpec = {
  name: 'get_weather',
  description: 'Current weather of a city',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

export function request(messages: Message[], extra: Partial<ModelRequest> = {}): ModelRequest {
  return {
    messages,
    tools: [weatherTool],
    maxOutputTokens: 1024,
    signal: new AbortController().signal,
    stepIndex: 0,
    ...extra,
  };
}

// --- Anthropic Messages API -------------------------------------------------------------------------

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export function anthropicMessage(
  content: unknown[],
  stop_reason: string | null,
  usage: AnthropicUsage = { input_tokens: 10, output_tokens: 5 },
  extra: Record<string, unknown> = {},
): Reply {
  return {
    body: {
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-5-5',
      content,
      stop_reason,
      stop_sequence: null,
      stop_details: null,
      container: null,
      usage: {
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        service_tier: 'standard',
        ...usage,
      },
      ...extra,
    },
  };
}

export const text = (t: string) => ({ type: 'text', text: t, citations: null });
export const toolUse = (id: string, input: unknown, name = 'get_weather') => ({
  type: 'tool_use',
  id,
  name,
  input,
  caller: { type: 'direct' },
});

export function anthropicError(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return {
    status,
    headers: { 'request-id': 'req_011CSHoEeqs5C35K2UUqR7Fy', ...headers },
    body: { type: 'error', error: { type, message } },
  };
}

// --- OpenAI Chat Completions ----------------------------------------------------------------------------

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens?: number;
  cache_write_tokens?: number;
}

export function chatCompletion(
  message: Record<string, unknown>,
  finish_reason: string | null,
  usage: ChatUsage | null = { prompt_tokens: 10, completion_tokens: 5 },
  model = 'gpt-5.6-terra',
): Reply {
  return {
    body: {
      id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
      object: 'chat.completion',
      created: 1_790_000_000,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: null, refusal: null, ...message },
          logprobs: null,
          finish_reason,
        },
      ],
      ...(usage
        ? {
            usage: {
              prompt_tokens: usage.prompt_tokens,
              completion_tokens: usage.completion_tokens,
              total_tokens: usage.prompt_tokens + usage.completion_tokens,
              prompt_tokens_details: {
                cached_tokens: usage.cached_tokens ?? 0,
                ...(usage.cache_write_tokens === undefined
                  ? {}
                  : { cache_write_tokens: usage.cache_write_tokens }),
                audio_tokens: 0,
              },
              completion_tokens_details: { reasoning_tokens: 0 },
            },
          }
        : {}),
    },
  };
}

export const functionCall = (id: string | undefined, args: unknown, name = 'get_weather') => ({
  ...(id === undefined ? {} : { id }),
  type: 'function',
  function: { name, arguments: args },
});

export function openaiError(
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: Record<string, string> = {},
): Reply {
  return {
    status,
    headers: { 'x-request-id': 'req_8f2a', ...headers },
    body: { error: { message, type, param: null, code } },
  };
}
