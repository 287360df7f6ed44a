// Claude through the official SDK (Messages API, non-streaming).

import { JobFailure, type Model, type ModelRequest, type ModelResponse, type Usage } from '@agentq/agent';
import Anthropic from '@anthropic-ai/sdk';
import {
  fromAnthropicMessage,
  providerDataOf,
  toAnthropicMessages,
  toAnthropicTools,
} from './anthropic-convert.ts';
import { PriceTable } from './pricing.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from './retry.ts';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

export interface AnthropicModelOptions {
  /** The name jobs select the model by (Model.id), e.g. "claude-sonnet-5-5" or "anthropic/claude-sonnet-5-5". */
  id: string;
  /** The name sent to the API; defaults to `id` without its "anthropic/" prefix. */
  model?: string;
  apiKey: string;
  baseURL?: string;
  /** Share one client (connection pool) between models; built from apiKey/baseURL when absent. */
  client?: Anthropic;
  retry?: Partial<RetryPolicy>;
  prices?: PriceTable;
  /**
   * Automatic prompt caching (top-level cache_control, default on): every step of a run re-sends the
   * conversation so far, and cached prefix tokens cost a tenth of fresh ones after a 1.25x write.
   */
  promptCaching?: boolean;
}

export function createAnthropicClient(apiKey: string, baseURL?: string): Anthropic {
  // Explicit baseURL so the SDK does not read ANTHROPIC_BASE_URL behind the deployment's settings;
  // maxRetries 0 because retry.ts is the only retry loop.
  return new Anthropic({ apiKey, baseURL: baseURL ?? ANTHROPIC_BASE_URL, maxRetries: 0 });
}

export class AnthropicModel implements Model {
  readonly id: string;
  private readonly model: string;
  private readonly client: Anthropic;
  private readonly apiKey: string;
  private readonly retry: RetryPolicy;
  private readonly prices: PriceTable;
  private readonly promptCaching: boolean;

  constructor(options: AnthropicModelOptions) {
    this.id = options.id;
    this.model = options.model ?? options.id.replace(/^anthropic\//, '');
    this.apiKey = options.apiKey;
    this.client = options.client ?? createAnthropicClient(options.apiKey, options.baseURL);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.prices = options.prices ?? new PriceTable();
    this.promptCaching = options.promptCaching ?? true;
  }

  async generate(request: ModelRequest): Promise<ModelResponse> {
    const params: Anthropic.MessageCreateParamsNonStreaming = {
      model: this.model,
      max_tokens: request.maxOutputTokens,
      messages: toAnthropicMessages(request.messages),
      ...(request.system ? { system: request.system } : {}),
      ...(request.tools.length > 0 ? { tools: toAnthropicTools(request.tools) } : {}),
      ...(this.promptCaching ? { cache_control: { type: 'ephemeral' as const } } : {}),
    };
    const ctx = { provider: 'anthropic', policy: this.retry, signal: request.signal, secrets: [this.apiKey] };
    const message = await withRetries(ctx, (signal) =>
      // The SDK's own timeout is a backstop behind ours (retry.ts times each attempt out first).
      this.client.messages.create(params, { signal, maxRetries: 0, timeout: this.retry.timeoutMs + 5_000 }),
    );
    if (!Array.isArray(message?.content)) {
      throw new JobFailure('model_error', 'anthropic returned a response without content');
    }
    const answer = fromAnthropicMessage(message);
    const providerData = providerDataOf(answer.content);
    const usage = usageOf(message.usage);
    return {
      text: answer.text,
      toolCalls: answer.toolCalls,
      stopReason: answer.stopReason,
      usage,
      model: message.model ?? this.model,
      costUsd: this.prices.costUsd(usage, message.model ?? this.model, this.model),
      ...(providerData ? { providerData } : {}),
    };
  }
}

/** input_tokens excludes cached tokens: the four counts are disjoint and add up to the whole prompt + output. */
function usageOf(usage: Anthropic.Usage | undefined): Usage {
  return {
    inputTokens: usage?.input_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    cacheReadTokens: usage?.cache_read_input_tokens ?? 0,
    cacheWriteTokens: usage?.cache_creation_input_tokens ?? 0,
  };
}
