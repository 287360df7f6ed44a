import { JobFailure, ScriptedModel } from '@agentq/agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicModel } from '../src/anthropic.ts';
import { OpenAIModel } from '../src/openai.ts';
import { createModelRegistry, type ModelRegistryOptions } from '../src/registry.ts';
import { anthropicError, anthropicMessage, chatCompletion, request, text } from './fixtures.ts';
import { WireServer } from './wire-server.ts';

const base: ModelRegistryOptions = {
  scripted: true,
  timeoutMs: 5_000,
  maxRetries: 2,
  retry: { baseDelayMs: 1, maxDelayMs: 5 },
};
const everything: ModelRegistryOptions = {
  ...base,
  anthropicApiKey: 'sk-ant-api03-key-0123456789',
  openaiApiKey: 'sk-proj-key-0123456789',
  openaiBaseUrl: 'http://127.0.0.1:11434/v1',
  openaiCompatibleModels: ['llama3.1', ' qwen2.5 ', 'gpt-oss'],
};

describe('resolve: which provider serves a name', () => {
  const registry = createModelRegistry(everything);
  const cases: [string, new (...args: never[]) => object][] = [
    ['claude-sonnet-5-5', AnthropicModel],
    ['claude-haiku-4-5-20251001', AnthropicModel],
    ['anthropic/my-fine-tune', AnthropicModel],
    ['gpt-5.6-terra', OpenAIModel],
    ['o1', OpenAIModel],
    ['o3-mini', OpenAIModel],
    ['o4-mini', OpenAIModel],
    ['chatgpt-4o-latest', OpenAIModel],
    ['openai/ft:gpt-4.1:acme::abc', OpenAIModel],
    ['ft:gpt-4.1-mini-2025-04-14:acme::BbC1x', OpenAIModel],
    ['llama3.1', OpenAIModel],
    ['qwen2.5', OpenAIModel],
    ['gpt-oss', OpenAIModel],
  ];
  for (const [name, kind] of cases) {
    it(`${name} → ${kind.name}`, () => {
      const model = registry.resolve(name);
      expect(model).toBeInstanceOf(kind);
      expect(model.id).toBe(name);
      expect(registry.check(name)).toEqual({ ok: true });
    });
  }

  it('"scripted" → the job’s script', async () => {
    const model = registry.resolve('scripted', [{ text: 'scripted answer' }]);
    expect(model).toBeInstanceOf(ScriptedModel);
    expect((await model.generate(request([{ role: 'user', text: 'x' }]))).text).toBe('scripted answer');
    expect(() => registry.resolve('scripted')).toThrow(
      new JobFailure('invalid_job', 'model "scripted" needs a script of turns'),
    );
  });
});

describe('check: clear reasons for a 4xx', () => {
  const expectRefused = (options: ModelRegistryOptions, name: string, reason: string) => {
    const registry = createModelRegistry(options);
    expect(registry.check(name)).toEqual({ ok: false, reason });
    let thrown: unknown;
    try {
      registry.resolve(name, []);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(JobFailure);
    expect(thrown).toMatchObject({ code: 'invalid_job', message: reason });
  };

  it('an Anthropic model without an Anthropic key', () => {
    expectRefused(
      { ...base, openaiApiKey: 'sk-x-0123456789' },
      'claude-opus-5-5',
      'model "claude-opus-5-5" is an Anthropic model, and this deployment has no ANTHROPIC_API_KEY',
    );
  });

  it('an OpenAI model (or fine-tune) without an OpenAI key or base URL', () => {
    expectRefused(
      { ...base, anthropicApiKey: 'sk-ant-0123456789' },
      'gpt-4.1',
      'model "gpt-4.1" is an OpenAI model, and this deployment has no OPENAI_API_KEY',
    );
    expectRefused(
      { ...base },
      'openai/ft:o4-mini:acme::x1',
      'model "openai/ft:o4-mini:acme::x1" is an OpenAI model, and this deployment has no OPENAI_API_KEY',
    );
  });

  it('a compatible-server model without a base URL', () => {
    expectRefused(
      { ...base, openaiApiKey: 'sk-x-0123456789' },
      'openai/llama3.1',
      'model "openai/llama3.1" needs an OpenAI-compatible server, and this deployment has no OPENAI_BASE_URL',
    );
  });

  it('an unknown name lists what would work', () => {
    expectRefused(
      { ...base, openaiBaseUrl: 'http://localhost:11434/v1', openaiCompatibleModels: ['llama3.1'] },
      'mistral-large',
      'unknown model "mistral-large": use a claude-… or gpt-…/o… model, "scripted", an explicit "anthropic/…" or "openai/…" name, or a model listed in OPENAI_COMPATIBLE_MODELS (listed: llama3.1)',
    );
  });

  it('scripted when the deployment turned it off', () => {
    expectRefused(
      { ...base, scripted: false },
      'scripted',
      'the "scripted" model is disabled on this deployment (SCRIPTED_MODEL=off)',
    );
  });

  it('an empty name', () => {
    expectRefused(base, '  ', 'the model name is empty');
  });

  it('an OpenAI name with only a base URL (a gateway or local server that needs no key) is fine', () => {
    expect(
      createModelRegistry({ ...base, openaiBaseUrl: 'http://localhost:8000/v1' }).check('gpt-4.1'),
    ).toEqual({ ok: true });
  });
});

describe('defaultModel', () => {
  it('is the explicit default when set', () => {
    expect(createModelRegistry({ ...everything, defaultModel: ' llama3.1 ' }).defaultModel()).toBe(
      'llama3.1',
    );
  });
  it('else a current Claude model with an Anthropic key', () => {
    expect(createModelRegistry(everything).defaultModel()).toBe('claude-sonnet-5-5');
  });
  it('else the first compatible model of a configured server', () => {
    expect(createModelRegistry({ ...everything, anthropicApiKey: undefined }).defaultModel()).toBe(
      'llama3.1',
    );
  });
  it('else an OpenAI model with an OpenAI key', () => {
    expect(createModelRegistry({ ...base, openaiApiKey: 'sk-x-0123456789' }).defaultModel()).toBe(
      'gpt-5.6-terra',
    );
  });
  it('else scripted', () => {
    const registry = createModelRegistry(base);
    expect(registry.defaultModel()).toBe('scripted');
    expect(registry.check(registry.defaultModel())).toEqual({ ok: true });
  });
});

describe('models from the registry, over the wire', () => {
  let server: WireServer;
  beforeEach(async () => {
    server = await WireServer.start();
  });
  afterEach(() => server.close());

  it('Anthropic: deployment key and base URL, retries as configured, MODEL_PRICES applied', async () => {
    const registry = createModelRegistry({
      ...base,
      anthropicApiKey: 'sk-ant-api03-deploy-0123456789',
      anthropicBaseUrl: server.url,
      maxRetries: 1,
      prices: JSON.stringify({ 'claude-sonnet-5-5': { input: 100, output: 1000 } }),
    });
    server.reply(
      anthropicError(503, 'api_error', 'unavailable'),
      anthropicMessage([text('ok')], 'end_turn', { input_tokens: 10, output_tokens: 2 }),
    );
    const answer = await registry
      .resolve('anthropic/claude-sonnet-5-5')
      .generate(request([{ role: 'user', text: 'x' }]));
    expect(server.received).toHaveLength(2);
    expect(server.received[1]!.headers.authorization).toBe('Bearer sk-ant-api03-deploy-0123456789');
    expect(server.received[1]!.body.model).toBe('claude-sonnet-5-5');
    expect(answer.costUsd).toBeCloseTo((10 * 100 + 2 * 1000) / 1e6, 12);
  });

  it('a compatible model: base URL, placeholder key, max_tokens; an OpenAI name through it: max_completion_tokens', async () => {
    const registry = createModelRegistry({
      ...base,
      openaiBaseUrl: `${server.url}/v1`,
      openaiCompatibleModels: ['llama3.1'],
    });
    server.reply(
      chatCompletion({ content: 'local' }, 'stop', null, 'llama3.1'),
      chatCompletion({ content: 'gateway' }, 'stop'),
    );
    expect((await registry.resolve('llama3.1').generate(request([{ role: 'user', text: 'x' }]))).text).toBe(
      'local',
    );
    expect(
      (await registry.resolve('gpt-5.6-terra').generate(request([{ role: 'user', text: 'x' }]))).text,
    ).toBe('gateway');
    const [local, gateway] = server.received;
    expect(local!.headers.authorization).toBe('Bearer agentq-no-key');
    expect(local!.body).toMatchObject({ model: 'llama3.1', max_tokens: 1024 });
    expect(local!.body.max_completion_tokens).toBeUndefined();
    expect(gateway!.body).toMatchObject({ model: 'gpt-5.6-terra', max_completion_tokens: 1024 });
    expect(gateway!.body.max_tokens).toBeUndefined();
  });

  it('a per-request timeout from the deployment settings', async () => {
    const registry = createModelRegistry({
      ...base,
      anthropicApiKey: 'sk-ant-0123456789',
      anthropicBaseUrl: server.url,
      timeoutMs: 150,
      maxRetries: 0,
    });
    server.reply({ hang: true });
    await expect(
      registry.resolve('claude-sonnet-5-5').generate(request([{ role: 'user', text: 'x' }])),
    ).rejects.toThrow('anthropic did not answer within 150 ms; gave up after 1 attempt');
  });
});

it('a malformed MODEL_PRICES stops the registry from being built', () => {
  expect(() => createModelRegistry({ ...base, prices: '{"gpt-4o": {"input": 1}}' })).toThrow(
    'MODEL_PRICES["gpt-4o"].output',
  );
});
