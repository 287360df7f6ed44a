import type { Message } from '@agentq/agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpenAIModel } from '../src/openai.ts';
import { chatCompletion, functionCall, request, weatherTool } from './fixtures.ts';
import { WireServer } from './wire-server.ts';

const KEY = 'sk-proj-test-key-abcdefghijklmnop';
let server: WireServer;
let model: OpenAIModel;

beforeEach(async () => {
  server = await WireServer.start();
  model = new OpenAIModel({
    id: 'gpt-5.6-terra',
    apiKey: KEY,
    baseURL: `${server.url}/v1`,
    maxTokensField: 'max_completion_tokens',
    retry: { maxRetries: 0 },
  });
});
afterEach(() => server.close());

const task: Message = { role: 'user', text: 'What is the weather in Paris?' };

describe('OpenAIModel: a tool loop over the wire', () => {
  it('asks for a function, gets the result back as a tool message with its id, and answers', async () => {
    server.reply(
      chatCompletion({ tool_calls: [functionCall('call_Q1', '{"city":"Paris"}')] }, 'tool_calls', {
        prompt_tokens: 150,
        completion_tokens: 20,
        cached_tokens: 100,
      }),
    );
    const first = await model.generate(request([task], { system: 'You are terse.' }));

    expect(first).toEqual({
      text: '',
      toolCalls: [{ id: 'call_Q1', name: 'get_weather', input: { city: 'Paris' } }],
      stopReason: 'tool_use',
      // prompt_tokens includes the cached ones: 150 = 50 fresh + 100 cached.
      usage: { inputTokens: 50, outputTokens: 20, cacheReadTokens: 100, cacheWriteTokens: 0 },
      model: 'gpt-5.6-terra',
      // gpt-5.6-terra: $2 in, $12 out, $0.20 cached per million tokens.
      costUsd: (50 * 2 + 20 * 12 + 100 * 0.2) / 1e6,
    });
    const sent = server.received[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.headers['x-stainless-retry-count']).toBe('0');
    expect(sent.body).toEqual({
      model: 'gpt-5.6-terra',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'What is the weather in Paris?' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather of a city',
            parameters: weatherTool.inputSchema,
          },
        },
      ],
      max_completion_tokens: 1024,
    });

    server.reply(chatCompletion({ content: 'It is 18°C and sunny in Paris.' }, 'stop'));
    const second = await model.generate(
      request([
        task,
        { role: 'assistant', text: first.text, toolCalls: first.toolCalls },
        {
          role: 'tool',
          results: [{ callId: 'call_Q1', name: 'get_weather', content: '18°C, sunny', isError: false }],
        },
      ]),
    );
    expect(server.received[1]!.body.messages).toEqual([
      { role: 'user', content: 'What is the weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_Q1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_Q1', content: '18°C, sunny' },
    ]);
    expect(second).toMatchObject({
      text: 'It is 18°C and sunny in Paris.',
      toolCalls: [],
      stopReason: 'end_turn',
    });
  });

  it('sends one tool message per result and says a failure in the content', async () => {
    server.reply(chatCompletion({ content: 'ok' }, 'stop'));
    await model.generate(
      request([
        task,
        {
          role: 'assistant',
          text: 'Checking both.',
          toolCalls: [
            { id: 'call_a', name: 'get_weather', input: { city: 'Paris' } },
            { id: 'call_b', name: 'get_weather', input: { _raw: '{"city": "Atl' } },
          ],
        },
        {
          role: 'tool',
          results: [
            { callId: 'call_a', name: 'get_weather', content: '18°C', isError: false },
            { callId: 'call_b', name: 'get_weather', content: 'input is not valid JSON', isError: true },
          ],
        },
        { role: 'assistant', text: '', toolCalls: [] },
      ]),
    );
    expect(server.received[0]!.body.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: 'Checking both.',
        tool_calls: [
          {
            id: 'call_a',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          {
            id: 'call_b',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"_raw":"{\\"city\\": \\"Atl"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: '18°C' },
      { role: 'tool', tool_call_id: 'call_b', content: 'Error: input is not valid JSON' },
    ]);
  });

  it('talks to an OpenAI-compatible server: max_tokens, no usage, local model name, cost 0', async () => {
    const local = new OpenAIModel({ id: 'llama3.1', apiKey: 'agentq-no-key', baseURL: `${server.url}/v1` });
    server.reply(chatCompletion({ content: 'Hello from llama.' }, 'stop', null, 'llama3.1:8b'));
    const answer = await local.generate(request([task], { tools: [] }));
    expect(server.received[0]!.body).toEqual({
      model: 'llama3.1',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      max_tokens: 1024,
    });
    expect(answer).toEqual({
      text: 'Hello from llama.',
      toolCalls: [],
      stopReason: 'end_turn',
      usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      model: 'llama3.1:8b',
      costUsd: 0,
    });
  });

  it('counts cache writes apart from fresh input (GPT-5.6 bills them at 1.25x)', async () => {
    server.reply(
      chatCompletion({ content: 'ok' }, 'stop', {
        prompt_tokens: 1000,
        completion_tokens: 10,
        cached_tokens: 200,
        cache_write_tokens: 700,
      }),
    );
    const answer = await model.generate(request([task]));
    expect(answer.usage).toEqual({
      inputTokens: 100,
      outputTokens: 10,
      cacheReadTokens: 200,
      cacheWriteTokens: 700,
    });
    expect(answer.costUsd).toBeCloseTo((100 * 2 + 10 * 12 + 200 * 0.2 + 700 * 2.5) / 1e6, 12);
  });
});

describe('OpenAIModel: finish reasons and refusals', () => {
  const cases: { name: string; message: Record<string, unknown>; finish: string | null; expected: object }[] =
    [
      {
        name: 'stop',
        message: { content: 'Done.' },
        finish: 'stop',
        expected: { stopReason: 'end_turn', text: 'Done.' },
      },
      {
        name: 'tool_calls',
        message: { tool_calls: [functionCall('call_1', '{"city":"Oslo"}')] },
        finish: 'tool_calls',
        expected: {
          stopReason: 'tool_use',
          toolCalls: [{ id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } }],
        },
      },
      {
        name: 'length drops the last (truncated) tool call',
        message: {
          tool_calls: [functionCall('call_1', '{"city":"Oslo"}'), functionCall('call_2', '{"city":"Ber')],
        },
        finish: 'length',
        expected: {
          stopReason: 'max_tokens',
          toolCalls: [{ id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } }],
        },
      },
      {
        name: 'length in text',
        message: { content: 'The weather is' },
        finish: 'length',
        expected: { stopReason: 'max_tokens', text: 'The weather is' },
      },
      {
        name: 'content_filter',
        message: { content: '' },
        finish: 'content_filter',
        expected: { stopReason: 'refusal' },
      },
      {
        name: 'message.refusal',
        message: { content: null, refusal: 'I can’t help with that request.' },
        finish: 'stop',
        expected: { stopReason: 'refusal', text: 'I can’t help with that request.' },
      },
      {
        name: '"stop" while calling tools (Ollama) is tool_use',
        message: { content: '', tool_calls: [functionCall('call_o', '{"city":"Rome"}')] },
        finish: 'stop',
        expected: {
          stopReason: 'tool_use',
          toolCalls: [{ id: 'call_o', name: 'get_weather', input: { city: 'Rome' } }],
        },
      },
      {
        name: 'tool_calls without any call is end_turn',
        message: { content: 'hm' },
        finish: 'tool_calls',
        expected: { stopReason: 'end_turn' },
      },
      {
        name: 'a null finish reason is end_turn',
        message: { content: 'ok' },
        finish: null,
        expected: { stopReason: 'end_turn' },
      },
      {
        name: 'an unknown finish reason is end_turn',
        message: { content: 'ok' },
        finish: 'eos',
        expected: { stopReason: 'end_turn' },
      },
    ];
  for (const c of cases) {
    it(c.name, async () => {
      server.reply(chatCompletion(c.message, c.finish));
      expect(await model.generate(request([task]))).toMatchObject(c.expected);
    });
  }
});

describe('OpenAIModel: tool arguments the model got wrong', () => {
  it('turns invalid, empty, double-encoded and object arguments into inputs instead of crashing', async () => {
    server.reply(
      chatCompletion(
        {
          tool_calls: [
            functionCall('call_1', '{"city": "Par'),
            functionCall('call_2', ''),
            functionCall('call_3', JSON.stringify('{"city":"Lyon"}')),
            functionCall('call_4', { city: 'Nice' }),
            functionCall('call_5', '["Paris"]'),
            functionCall(undefined, '{"city":"Metz"}'),
          ],
        },
        'tool_calls',
      ),
    );
    const answer = await model.generate(request([task]));
    expect(answer.toolCalls).toEqual([
      { id: 'call_1', name: 'get_weather', input: { _raw: '{"city": "Par' } },
      { id: 'call_2', name: 'get_weather', input: {} },
      { id: 'call_3', name: 'get_weather', input: { city: 'Lyon' } },
      { id: 'call_4', name: 'get_weather', input: { city: 'Nice' } },
      { id: 'call_5', name: 'get_weather', input: { _raw: '["Paris"]' } },
      // No id from the server: left empty for the agent loop to assign a unique one.
      { id: '', name: 'get_weather', input: { city: 'Metz' } },
    ]);
  });

  it('fails the job clearly when the server sends no choice', async () => {
    server.reply({
      body: { id: 'x', object: 'chat.completion', created: 1, model: 'gpt-5.6-terra', choices: [] },
    });
    await expect(model.generate(request([task]))).rejects.toMatchObject({
      name: 'JobFailure',
      code: 'model_error',
      message: expect.stringContaining('without a message'),
    });
  });
});
