// OpenAI, or any OpenAI-compatible server (Ollama, vLLM, LM Studio, gateways), through the official SDK's
// Chat Completions with function tools (non-streaming).
import { JobFailure, type Model, type ModelRequest, type ModelResponse, type Usage } from '@agentq/agent';
import OpenAI from 'openai';
import { fromChatChoice, toOpenAIMessages, toOpenAITools } from './openai-convert.ts';
import { PriceTable } from './pricing.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from './retry.ts';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIModelOptions {
  /** The name jobs select the model by (Model.id), e.g. "gpt-5.6-terra", "openai/gpt-5.6-terra", "llama3.1". */
  id: string;
  /** The name sent to the API; defaults to `id` without its "openai/" prefix. */
  model?: string;
  apiKey: string;
  baseURL?: string;
  /** Share one client (connection pool) between models; built from apiKey/baseURL when absent. */
  client?: OpenAI;
  /**
   * The field that carries the output limit. OpenAI's own API wants max_completion_tokens (its reasoning
   * models reject max_tokens); many compatible servers only understand max_tokens. Default:
   * max_completion_tokens for api.openai.com, max_tokens for any other server.
   */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
  retry?: Partial<RetryPolicy>;
  prices?: PriceTable;
}

export function createOpenAIClient(apiKey: string, baseURL?: string): OpenAI {
  // Explicit baseURL so the SDK does not read OPENAI_BASE_URL behind the deployment's settings;
  // maxRetries 0 because retry.ts is the only retry loop.
  return new OpenAI({ apiKey, baseURL: baseURL ?? OPENAI_BASE_URL, maxRetries: 0 });
}

export class OpenAIModel implements Model {
  readonly id: string;
  private readonly model: string;
  private readonly client: OpenAI;
  private readonly apiKey: string;
  /** Names the server in errors; a compatible server by its origin (never its path or credentials). */
  private readonly provider: string;
  private readonly maxTokensField: 'max_completion_tokens' | 'max_tokens';
  private readonly retry: RetryPolicy;
  private readonly prices: PriceTable;

  constructor(options: OpenAIModelOptions) {
    this.id = options.id;
    this.model = options.model ?? options.id.replace(/^openai\//, '');
    this.apiKey = options.apiKey;
    this.client = options.client ?? createOpenAIClient(options.apiKey, options.baseURL);
    this.provider = providerLabel(options.baseURL);
    this.maxTokensField =
      options.maxTokensField ?? (this.provider === 'openai' ? 'max_completion_tokens' : 'max_tokens');
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.prices = options.prices ?? new PriceTable();
  }

  async generate(request: ModelRequest): Promise<ModelResponse> {
    const params: OpenAI.ChatCompletionCreateParamsNonStreaming = {
      model: this.model,
      messages: toOpenAIMessages(request.system, request.messages),
      ...(request.tools.length > 0 ? { tools: toOpenAITools(request.tools) } : {}),
      ...(this.maxTokensField === 'max_tokens'
        ? { max_tokens: request.maxOutputTokens }
        : { max_completion_tokens: request.maxOutputTokens }),
    };
    const ctx = {
      provider: this.provider,
      policy: this.retry,
      signal: request.signal,
      secrets: [this.apiKey],
    };
    const completion = await withRetries(ctx, (signal) =>
      // The SDK's own timeout is a backstop behind ours (retry.ts times each attempt out first).
      this.client.chat.completions.create(params, {
        signal,
        maxRetries: 0,
        timeout: this.retry.timeoutMs + 5_000,
      }),
    );
    const choice = completion?.choices?.[0];
    if (!choice?.message)
      throw new JobFailure('model_error', `${this.provider} returned a response without a message`);
    const answer = fromChatChoice(choice);
    const usage = usageOf(completion.usage);
    return {
      ...answer,
      usage,
      model: completion.model || this.model,
      costUsd: this.prices.costUsd(usage, completion.model ?? '', this.model),
    };
  }
}

function providerLabel(baseURL: string | undefined): string {
  if (!baseURL) return 'openai';
  try {
    const url = new URL(baseURL);
    return url.hostname === 'api.openai.com' ? 'openai' : `openai-compatible server ${url.origin}`;
  } catch {
    return 'openai-compatible server';
  }
}

/**
 * prompt_tokens includes the cached and the cache-written tokens; they are split out so that the four counts
 * are disjoint, as with Anthropic (inputTokens = uncached input only).
 */
function usageOf(usage: OpenAI.CompletionUsage | undefined): Usage {
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage?.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    inputTokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached - written),
    outputTokens: usage?.completion_tokens ?? 0,
    cacheReadTokens: cached,
    cacheWriteTokens: written,
  };
}
