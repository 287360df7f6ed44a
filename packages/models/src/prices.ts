// Built-in list prices, USD per million tokens, as published by Anthropic and OpenAI in November 2026
// (platform.claude.com/docs/en/about-claude/pricing, developers.openai.com/api/docs/pricing).
// Deployments correct or extend them with MODEL_PRICES; see pricing.ts for how names are matched.
// cacheWrite is Anthropic's 5-minute cache write (1.25x input; agentq never asks for the 1-hour TTL).
// OpenAI bills cache writes only from GPT-5.6 on (1.25x input); for older models a write is plain input.

export interface TokenPrices {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface ModelPrice extends TokenPrices {
  /** Some models bill the whole request at higher rates once its prompt (all input tokens) is long. */
  longPrompt?: TokenPrices & { aboveTokens: number };
}

const p = (input: number, output: number, cacheRead: number, cacheWrite: number): ModelPrice => ({
  input,
  output,
  cacheRead,
  cacheWrite,
});

/** OpenAI from GPT-5.6 on: a prompt over 272K tokens costs 2x input (and cache) and 1.5x output. */
const over272k = (price: ModelPrice): ModelPrice => ({
  ...price,
  longPrompt: {
    aboveTokens: 272_000,
    input: price.input * 2,
    output: price.output * 1.5,
    cacheRead: price.cacheRead * 2,
    cacheWrite: price.cacheWrite * 2,
  },
});

const opus45to5 = p(5, 25, 0.5, 6.25);
const opus4 = p(15, 75, 1.5, 18.75);
const sonnet4 = p(3, 15, 0.3, 3.75);
const fable5 = p(10, 50, 1, 12.5);
const fable51 = p(10, 50, 0.25, 12.5);
const fable52 = p(8, 40, 0.2, 10);
const gpt5 = p(1.25, 10, 0.125, 1.25);
const gpt56sol = over272k(p(4, 20, 0.4, 5));

export const BUILT_IN_PRICES: Readonly<Record<string, ModelPrice>> = {
  // Anthropic
  'claude-fable-5-2': fable52,
  'claude-mythos-5-2': fable52,
  'claude-fable-5-1': fable51,
  'claude-mythos-5-1': fable51,
  'claude-fable-5': fable5,
  'claude-mythos-5': fable5,
  'claude-mythos-preview': p(25, 125, 2.5, 31.25),
  'claude-opus-5-5': p(4, 20, 0.2, 5),
  'claude-opus-5': opus45to5,
  'claude-opus-4-8': opus45to5,
  'claude-opus-4-7': opus45to5,
  'claude-opus-4-6': opus45to5,
  'claude-opus-4-5': opus45to5,
  'claude-opus-4-1': opus4,
  'claude-opus-4-0': opus4,
  'claude-opus-4': opus4,
  'claude-sonnet-5-5': p(2, 10, 0.1, 2.5),
  'claude-sonnet-5': p(2, 10, 0.2, 2.5),
  'claude-sonnet-4-6': sonnet4,
  'claude-sonnet-4-5': sonnet4,
  'claude-sonnet-4-0': sonnet4,
  'claude-sonnet-4': sonnet4,
  'claude-3-7-sonnet': sonnet4,
  'claude-haiku-5-5': {
    ...p(0.1, 0.5, 0.01, 0.125),
    longPrompt: { aboveTokens: 100_000, input: 0.5, output: 2.5, cacheRead: 0.05, cacheWrite: 0.625 },
  },
  'claude-haiku-4-5': p(1, 5, 0.1, 1.25),
  'claude-3-5-haiku': p(0.8, 4, 0.08, 1),
  'claude-3-haiku': p(0.25, 1.25, 0.03, 0.3),

  // OpenAI
  'gpt-6.1-sol': over272k(p(2, 10, 0.1, 2.5)),
  'gpt-6-astra': over272k(p(10, 50, 1, 12.5)),
  'gpt-6-sol': over272k(p(2, 10, 0.2, 2.5)),
  'gpt-6-luna': over272k(p(0.1, 0.5, 0.01, 0.125)),
  'gpt-5.6': gpt56sol,
  'gpt-5.6-sol': gpt56sol,
  'gpt-5.6-terra': over272k(p(2, 12, 0.2, 2.5)),
  'gpt-5.6-luna': over272k(p(0.2, 1.2, 0.02, 0.25)),
  'gpt-5.5-pro': p(30, 180, 30, 30),
  'gpt-5.5': p(5, 30, 0.5, 5),
  'gpt-5.4-pro': p(30, 180, 30, 30),
  'gpt-5.4': p(2.5, 15, 0.25, 2.5),
  'gpt-5.4-mini': p(0.75, 4.5, 0.075, 0.75),
  'gpt-5.4-nano': p(0.2, 1.25, 0.02, 0.2),
  'gpt-5.2': p(1.75, 14, 0.175, 1.75),
  'gpt-5.2-chat-latest': p(1.75, 14, 0.175, 1.75),
  'gpt-5.1': gpt5,
  'gpt-5.1-codex': gpt5,
  'gpt-5.1-chat-latest': gpt5,
  'gpt-5': gpt5,
  'gpt-5-chat-latest': gpt5,
  'gpt-5-mini': p(0.25, 2, 0.025, 0.25),
  'gpt-5-nano': p(0.05, 0.4, 0.005, 0.05),
  'gpt-4.1': p(2, 8, 0.5, 2),
  'gpt-4.1-mini': p(0.4, 1.6, 0.1, 0.4),
  'gpt-4.1-nano': p(0.1, 0.4, 0.025, 0.1),
  'gpt-4o': p(2.5, 10, 1.25, 2.5),
  'gpt-4o-mini': p(0.15, 0.6, 0.075, 0.15),
  'chatgpt-4o-latest': p(5, 15, 5, 5),
  'o4-mini': p(1.1, 4.4, 0.275, 1.1),
  o3: p(2, 8, 0.5, 2),
  'o3-mini': p(1.1, 4.4, 0.55, 1.1),
  o1: p(15, 60, 7.5, 15),
  'o1-mini': p(1.1, 4.4, 0.55, 1.1),
  'gpt-4-turbo': p(10, 30, 10, 10),
  'gpt-4': p(30, 60, 30, 30),
  'gpt-3.5-turbo': p(0.5, 1.5, 0.5, 0.5),
};
