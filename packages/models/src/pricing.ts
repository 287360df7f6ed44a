// What a model call cost, from its token usage and a price table: the built-in list prices (prices.ts)
// overlaid by the deployment's MODEL_PRICES JSON, e.g. {"my-model":{"input":3,"output":15,"cache_read":0.3,"cache_write":3.75}}
// (USD per million tokens).
//
// Names match exactly or as a dated variant of a listed name ("claude-haiku-4-5-20251001",
// "gpt-4o-2024-08-06", "claude-3-5-haiku-latest", "claude-opus-4@20250514", "claude-sonnet-4-6[1m]"), so a
// new snapshot of a known model is priced without a table change, while a different model that merely shares
// a prefix ("o3-pro" vs "o3") is not mispriced. A model with no price (a local model, a brand-new name)
// costs 0: its runs are never blocked by a cost budget, so deployments that bill such models must list them.
import type { Usage } from '@agentq/agent';
import { BUILT_IN_PRICES, type ModelPrice, type TokenPrices } from './prices.ts';
import { isPlainObject } from './tool-arguments.ts';

export type { ModelPrice, TokenPrices } from './prices.ts';

/** Suffixes that name a snapshot or variant of the same model, not a different model. */
const VARIANT_SUFFIX = /^(-\d{8}|-\d{4}-\d{2}-\d{2}|-latest|@\d{8}|\[[a-z0-9]+\])+$/;

export class PriceTable {
  private readonly overrides: Readonly<Record<string, ModelPrice>>;

  /** `overridesJson`: the MODEL_PRICES setting; throws a clear Error when it is malformed. */
  constructor(overridesJson?: string) {
    this.overrides = overridesJson ? parsePriceOverrides(overridesJson) : {};
  }

  /** Override first, then built-in; undefined for an unknown model. */
  priceOf(model: string): ModelPrice | undefined {
    const name = bareName(model);
    return lookup(this.overrides, name) ?? lookup(BUILT_IN_PRICES, name);
  }

  /** Cost of one call in USD, priced by the first of `models` that has a price (0 when none has). */
  costUsd(usage: Usage, ...models: string[]): number {
    for (const model of models) {
      const price = this.priceOf(model);
      if (price) return costOf(price, usage);
    }
    return 0;
  }
}

export function costOf(price: ModelPrice, usage: Usage): number {
  const prompt = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  const rates: TokenPrices =
    price.longPrompt && prompt > price.longPrompt.aboveTokens ? price.longPrompt : price;
  // tokens × USD per million tokens = USD × 10^6.
  const scaled =
    usage.inputTokens * rates.input +
    usage.outputTokens * rates.output +
    usage.cacheReadTokens * rates.cacheRead +
    usage.cacheWriteTokens * rates.cacheWrite;
  // Rounded to a billionth of a dollar so sums of many steps don't collect float noise.
  return Math.round(scaled * 1000) / 1e9;
}

/**
 * Parses MODEL_PRICES. `input` and `output` are required; a missing `cache_read` or `cache_write` is
 * charged at the `input` price (no caching discount is assumed). An override replaces the whole built-in
 * entry, including any long-prompt rates.
 */
export function parsePriceOverrides(json: string): Record<string, ModelPrice> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`MODEL_PRICES is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new Error('MODEL_PRICES must be a JSON object of model name → prices');
  const out: Record<string, ModelPrice> = {};
  for (const [model, value] of Object.entries(parsed)) {
    if (!isPlainObject(value))
      throw new Error(`MODEL_PRICES["${model}"] must be an object like {"input":3,"output":15}`);
    const field = (key: string, fallback?: number): number => {
      const v = value[key] ?? fallback;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new Error(
          `MODEL_PRICES["${model}"].${key} must be a non-negative number (USD per million tokens)`,
        );
      }
      return v;
    };
    const input = field('input');
    out[bareName(model)] = {
      input,
      output: field('output'),
      cacheRead: field('cache_read', input),
      cacheWrite: field('cache_write', input),
    };
  }
  return out;
}

/** Lower-case, without an explicit "anthropic/" or "openai/" routing prefix. */
function bareName(model: string): string {
  return model
    .trim()
    .toLowerCase()
    .replace(/^(anthropic|openai)\//, '');
}

function lookup(table: Readonly<Record<string, ModelPrice>>, name: string): ModelPrice | undefined {
  const exact = table[name];
  if (exact) return exact;
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (
      name.startsWith(key) &&
      VARIANT_SUFFIX.test(name.slice(key.length)) &&
      key.length > (best?.length ?? 0)
    )
      best = key;
  }
  return best === undefined ? undefined : table[best];
}
