export {
  ANTHROPIC_BASE_URL,
  AnthropicModel,
  type AnthropicModelOptions,
  createAnthropicClient,
} from './anthropic.ts';
export {
  fromAnthropicMessage,
  mapStopReason,
  toAnthropicMessages,
  toAnthropicTools,
} from './anthropic-convert.ts';
export { isOpenAIFamily, type Route, route } from './model-names.ts';
export { createOpenAIClient, OPENAI_BASE_URL, OpenAIModel, type OpenAIModelOptions } from './openai.ts';
export { fromChatChoice, mapFinishReason, toOpenAIMessages, toOpenAITools } from './openai-convert.ts';
export { BUILT_IN_PRICES } from './prices.ts';
export { costOf, type ModelPrice, PriceTable, parsePriceOverrides, type TokenPrices } from './pricing.ts';
export { classify, type Verdict } from './provider-error.ts';
export { redactSecrets } from './redact.ts';
export {
  createModelRegistry,
  DEFAULT_ANTHROPIC_MODEL,
  DEFAULT_OPENAI_MODEL,
  type ModelCheck,
  type ModelRegistry,
  type ModelRegistryOptions,
} from './registry.ts';
export {
  backoffMs,
  DEFAULT_RETRY_POLICY,
  type RetryContext,
  type RetryPolicy,
  withRetries,
} from './retry.ts';
export { retryAfterMs } from './retry-after.ts';
export { parseToolArguments } from './tool-arguments.ts';
