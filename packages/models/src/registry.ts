// The deployment's models: which names it can run, with which credentials, and which one a job gets when it
// names none. The API asks check() to refuse a job with a 4xx at submit; the worker asks resolve().

import { JobFailure, type Model, ScriptedModel, type ScriptTurn } from '@agentq/agent';
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { AnthropicModel, createAnthropicClient } from './anthropic.ts';
import { route, SCRIPTED } from './model-names.ts';
import { createOpenAIClient, OpenAIModel } from './openai.ts';
import { PriceTable } from './pricing.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.ts';

export interface ModelRegistryOptions {
  anthropicApiKey?: string;
  anthropicBaseUrl?: string;
  openaiApiKey?: string;
  /** OpenAI or an OpenAI-compatible server (Ollama, vLLM, LM Studio, a gateway). */
  openaiBaseUrl?: string;
  /** Names served by openaiBaseUrl that are not OpenAI names, e.g. ["llama3.1", "qwen2.5"]. */
  openaiCompatibleModels?: string[];
  defaultModel?: string;
  /** Whether jobs may use the "scripted" model. */
  scripted: boolean;
  /** Time limit of one model request (one attempt). */
  timeoutMs: number;
  /** Retries of a model request on 429/5xx/overloaded/network errors. */
  maxRetries: number;
  /** MODEL_PRICES: JSON price overrides, USD per million tokens (see pricing.ts). Malformed JSON throws. */
  prices?: string;
  /** Backoff tuning; the defaults suit production (tests use tiny delays). */
  retry?: Partial<Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs'>>;
  /** Anthropic automatic prompt caching (default on). */
  promptCaching?: boolean;
}

export type ModelCheck = { ok: true } | { ok: false; reason: string };

export interface ModelRegistry {
  /** The model for a job. Throws JobFailure('invalid_job') when check() would refuse the name. */
  resolve(name: string, script?: readonly ScriptTurn[]): Model;
  /** Whether the deployment can run this model, and if not, why (for a 4xx at submit). */
  check(name: string): ModelCheck;
  /** The model of a job that names none. */
  defaultModel(): string;
}

/** When no key is set, the default is the current mid-size model of the first provider with credentials. */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-5-5';
export const DEFAULT_OPENAI_MODEL = 'gpt-5.6-terra';
/** Local servers ignore the key, but the SDK insists on one. */
const NO_KEY = 'agentq-no-key';

export function createModelRegistry(options: ModelRegistryOptions): ModelRegistry {
  const compatible = (options.openaiCompatibleModels ?? []).map((m) => m.trim()).filter(Boolean);
  const prices = new PriceTable(options.prices);
  const retry: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    ...options.retry,
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
  };
  // One client per provider (connection reuse), made on first use.
  let anthropic: Anthropic | undefined;
  let openai: OpenAI | undefined;

  const check = (raw: string): ModelCheck => {
    const name = raw.trim();
    if (!name) return { ok: false, reason: 'the model name is empty' };
    const r = route(name, compatible);
    switch (r.provider) {
      case 'scripted':
        return options.scripted
          ? { ok: true }
          : { ok: false, reason: 'the "scripted" model is disabled on this deployment (SCRIPTED_MODEL=off)' };
      case 'anthropic':
        return options.anthropicApiKey
          ? { ok: true }
          : {
              ok: false,
              reason: `model "${name}" is an Anthropic model, and this deployment has no ANTHROPIC_API_KEY`,
            };
      case 'openai':
        if (r.compatible) {
          return options.openaiBaseUrl
            ? { ok: true }
            : {
                ok: false,
                reason: `model "${name}" needs an OpenAI-compatible server, and this deployment has no OPENAI_BASE_URL`,
              };
        }
        // With a base URL and no key, the server is one that needs none (a local server or a gateway).
        return options.openaiApiKey || options.openaiBaseUrl
          ? { ok: true }
          : {
              ok: false,
              reason: `model "${name}" is an OpenAI model, and this deployment has no OPENAI_API_KEY`,
            };
      case 'unknown': {
        const listed = compatible.length > 0 ? ` (listed: ${compatible.join(', ')})` : '';
        return {
          ok: false,
          reason:
            `unknown model "${name}": use a claude-… or gpt-…/o… model, "${SCRIPTED}", an explicit "anthropic/…" or ` +
            `"openai/…" name, or a model listed in OPENAI_COMPATIBLE_MODELS${listed}`,
        };
      }
    }
  };

  const resolve = (raw: string, script?: readonly ScriptTurn[]): Model => {
    const name = raw.trim();
    const verdict = check(name);
    if (!verdict.ok) throw new JobFailure('invalid_job', verdict.reason);
    const r = route(name, compatible);
    switch (r.provider) {
      case 'scripted':
        if (!script) throw new JobFailure('invalid_job', 'model "scripted" needs a script of turns');
        return new ScriptedModel(script);
      case 'anthropic': {
        const apiKey = options.anthropicApiKey ?? '';
        anthropic ??= createAnthropicClient(apiKey, options.anthropicBaseUrl);
        return new AnthropicModel({
          id: name,
          model: r.model,
          apiKey,
          client: anthropic,
          retry,
          prices,
          ...(options.promptCaching === undefined ? {} : { promptCaching: options.promptCaching }),
        });
      }
      case 'openai': {
        const apiKey = options.openaiApiKey ?? NO_KEY;
        openai ??= createOpenAIClient(apiKey, options.openaiBaseUrl);
        return new OpenAIModel({
          id: name,
          model: r.model,
          apiKey,
          client: openai,
          ...(options.openaiBaseUrl ? { baseURL: options.openaiBaseUrl } : {}),
          // OpenAI's names (on OpenAI or through a gateway) take max_completion_tokens; local models max_tokens.
          maxTokensField: r.compatible ? 'max_tokens' : 'max_completion_tokens',
          retry,
          prices,
        });
      }
      case 'unknown':
        throw new JobFailure('invalid_job', `unknown model "${name}"`);
    }
  };

  const defaultModel = (): string => {
    const explicit = options.defaultModel?.trim();
    if (explicit) return explicit;
    if (options.anthropicApiKey) return DEFAULT_ANTHROPIC_MODEL;
    if (options.openaiBaseUrl && compatible[0]) return compatible[0];
    if (options.openaiApiKey || options.openaiBaseUrl) return DEFAULT_OPENAI_MODEL;
    // Even when scripted is off: check() then explains that nothing is configured.
    return SCRIPTED;
  };

  return { resolve, check, defaultModel };
}
