import type { Usage } from '@agentq/agent';
import { describe, expect, it } from 'vitest';
import { costOf, PriceTable, parsePriceOverrides } from '../src/pricing.ts';

const usage = (
  inputTokens: number,
  outputTokens: number,
  cacheReadTokens = 0,
  cacheWriteTokens = 0,
): Usage => ({
  inputTokens,
  outputTokens,
  cacheReadTokens,
  cacheWriteTokens,
});
const table = new PriceTable();

describe('built-in prices', () => {
  it('price each kind of token at its own rate', () => {
    // claude-opus-4-8: $5 in, $25 out, $0.50 cache read, $6.25 cache write.
    expect(table.costUsd(usage(1_000_000, 0), 'claude-opus-4-8')).toBe(5);
    expect(table.costUsd(usage(0, 1_000_000), 'claude-opus-4-8')).toBe(25);
    expect(table.costUsd(usage(0, 0, 1_000_000), 'claude-opus-4-8')).toBe(0.5);
    expect(table.costUsd(usage(0, 0, 0, 1_000_000), 'claude-opus-4-8')).toBe(6.25);
    expect(table.costUsd(usage(1200, 340, 5000, 800), 'gpt-4.1-mini')).toBeCloseTo(
      (1200 * 0.4 + 340 * 1.6 + 5000 * 0.1 + 800 * 0.4) / 1e6,
      12,
    );
  });

  it('match dated snapshots and variants of a listed name, the longest name first', () => {
    expect(table.priceOf('claude-haiku-4-5-20251001')).toBe(table.priceOf('claude-haiku-4-5'));
    expect(table.priceOf('claude-opus-4-20250514')).toBe(table.priceOf('claude-opus-4'));
    expect(table.priceOf('claude-opus-4-1-20250805')).toBe(table.priceOf('claude-opus-4-1'));
    expect(table.priceOf('claude-3-5-haiku-latest')).toBe(table.priceOf('claude-3-5-haiku'));
    expect(table.priceOf('claude-opus-4@20250514')).toBe(table.priceOf('claude-opus-4'));
    expect(table.priceOf('claude-sonnet-4-6[1m]')).toBe(table.priceOf('claude-sonnet-4-6'));
    expect(table.priceOf('gpt-4o-2024-08-06')).toBe(table.priceOf('gpt-4o'));
    expect(table.priceOf('gpt-4o-mini-2024-07-18')).toBe(table.priceOf('gpt-4o-mini'));
    expect(table.priceOf('anthropic/claude-sonnet-5-5')).toBe(table.priceOf('claude-sonnet-5-5'));
    expect(table.priceOf('openai/GPT-5.4-mini')).toBe(table.priceOf('gpt-5.4-mini'));
    expect(table.priceOf('gpt-4o-mini')).not.toBe(table.priceOf('gpt-4o'));
  });

  it('do not price a different model that merely shares a prefix', () => {
    expect(table.priceOf('o3-pro')).toBeUndefined();
    expect(table.priceOf('gpt-5.3-codex')).toBeUndefined();
    expect(table.priceOf('gpt-4o-realtime-preview')).toBeUndefined();
  });

  it('unknown models (local ones, new names) cost 0', () => {
    expect(table.priceOf('llama3.1')).toBeUndefined();
    expect(table.costUsd(usage(1_000_000, 1_000_000), 'llama3.1')).toBe(0);
  });

  it('price by the first name that has a price (the answering model, then the requested one)', () => {
    expect(table.costUsd(usage(1_000_000, 0), 'some-proxy-alias', 'gpt-4.1')).toBe(2);
    expect(table.costUsd(usage(1_000_000, 0), 'gpt-4.1-nano', 'gpt-4.1')).toBe(0.1);
  });

  it('bill a whole request at the long-prompt rates once its prompt passes the threshold', () => {
    // claude-haiku-5-5: ≤100k prompt tokens $0.10/$0.50; above, $0.50/$2.50 on every token.
    expect(table.costUsd(usage(60_000, 1_000, 40_000), 'claude-haiku-5-5')).toBeCloseTo(
      (60_000 * 0.1 + 1_000 * 0.5 + 40_000 * 0.01) / 1e6,
      12,
    );
    expect(table.costUsd(usage(60_001, 1_000, 40_000), 'claude-haiku-5-5')).toBeCloseTo(
      (60_001 * 0.5 + 1_000 * 2.5 + 40_000 * 0.05) / 1e6,
      12,
    );
    // gpt-5.6-terra above 272K: 2x input, 1.5x output.
    expect(table.costUsd(usage(272_001, 1_000), 'gpt-5.6-terra')).toBeCloseTo(
      (272_001 * 4 + 1_000 * 18) / 1e6,
      12,
    );
  });

  it('round to a billionth of a dollar', () => {
    expect(costOf({ input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, usage(1, 1, 1, 1))).toBe(
      0.00002205,
    );
  });
});

describe('MODEL_PRICES overrides', () => {
  it('replace a built-in price, add new models, and match dated names', () => {
    const custom = new PriceTable(
      JSON.stringify({
        'claude-sonnet-5-5': { input: 1, output: 2, cache_read: 0.5, cache_write: 1.5 },
        'llama3.1': { input: 0.2, output: 0.2 },
      }),
    );
    expect(custom.priceOf('claude-sonnet-5-5')).toEqual({
      input: 1,
      output: 2,
      cacheRead: 0.5,
      cacheWrite: 1.5,
    });
    expect(custom.priceOf('claude-sonnet-5-5-20261001')).toEqual({
      input: 1,
      output: 2,
      cacheRead: 0.5,
      cacheWrite: 1.5,
    });
    // Missing cache prices are charged as input.
    expect(custom.priceOf('llama3.1')).toEqual({ input: 0.2, output: 0.2, cacheRead: 0.2, cacheWrite: 0.2 });
    expect(custom.costUsd(usage(1_000_000, 1_000_000), 'llama3.1')).toBeCloseTo(0.4, 12);
    // Everything else keeps its built-in price.
    expect(custom.priceOf('gpt-4o')).toEqual(table.priceOf('gpt-4o'));
  });

  it('reject malformed settings with a message that names the setting', () => {
    expect(() => parsePriceOverrides('{"a":')).toThrow(/^MODEL_PRICES is not valid JSON/);
    expect(() => parsePriceOverrides('[1,2]')).toThrow('MODEL_PRICES must be a JSON object');
    expect(() => parsePriceOverrides('{"m": 3}')).toThrow('MODEL_PRICES["m"] must be an object');
    expect(() => parsePriceOverrides('{"m": {"input": 3}}')).toThrow(
      'MODEL_PRICES["m"].output must be a non-negative number',
    );
    expect(() => parsePriceOverrides('{"m": {"input": -1, "output": 1}}')).toThrow(
      'MODEL_PRICES["m"].input must be',
    );
    expect(() => parsePriceOverrides('{"m": {"input": "3", "output": 1}}')).toThrow(
      'MODEL_PRICES["m"].input must be',
    );
  });
});
