import type { Message } from '@agentq/agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicModel } from '../src/anthropic.ts';
import { anthropicMessage, request, text, toolUse, weatherTool } from './fixtures.ts';
import { WireServer } from './wire-server.ts';

const KEY = 'sk-ant-api03-test-key-0123456789';
let server: WireServer;
let model: AnthropicModel;

beforeEach(async () => {
  server = await WireServer.start();
  model = new AnthropicModel({
    id: 'claude-sonnet-5-5',
    apiKey: KEY,
    baseURL: server.url,
    retry: { maxRetries: 0 },
  });
});
afterEach(() => server.close());

const task: Message = { role: 'user', text: 'What is the weather in Paris?' };

describe('AnthropicModel: a tool loop over the wire', () => {
  it('asks for a tool, gets the result back as a tool_result block, and answers', async () => {
    server.reply(
      anthropicMessage([text('Let me check.'), toolUse('toolu_01A', { city: 'Paris' })], 'tool_use', {
        input_tokens: 120,
        output_tokens: 30,
        cache_creation_input_tokens: 100,
        cache_read_input_tokens: 0,
      }),
    );
    const first = await model.generate(request([task], { system: 'You are terse.' }));

    expect(first).toEqual({
      text: 'Let me check.',
      toolCalls: [{ id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } }],
      stopReason: 'tool_use',
      usage: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 0, cacheWriteTokens: 100 },
      model: 'claude-sonnet-5-5',
      // claude-sonnet-5-5: $2 in, $10 out, $2.50 cache write per million tokens.
      costUsd: (120 * 2 + 30 * 10 + 100 * 2.5) / 1e6,
    });
    const sent = server.received[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/messages');
    // SDK 1.x: Bearer auth and the 2026-10-21 API version; our retries only (the SDK's are off).
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.headers['anthropic-version']).toBe('2026-10-21');
    expect(sent.headers['x-stainless-retry-count']).toBe('0');
    expect(sent.body).toEqual({
      model: 'claude-sonnet-5-5',
      max_tokens: 1024,
      system: 'You are terse.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is the weather in Paris?' }] }],
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather of a city',
          input_schema: weatherTool.inputSchema,
        },
      ],
      cache_control: { type: 'ephemeral' },
    });

    server.reply(
      anthropicMessage([text('It is 18°C and sunny in Paris.')], 'end_turn', {
        input_tokens: 20,
        output_tokens: 12,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 0,
      }),
    );
    const second = await model.generate(
      request([
        task,
        { role: 'assistant', text: first.text, toolCalls: first.toolCalls },
        {
          role: 'tool',
          results: [{ callId: 'toolu_01A', name: 'get_weather', content: '18°C, sunny', isError: false }],
        },
      ]),
    );

    expect(server.received[1]!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'What is the weather in Paris?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } },
        ],
      },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: '18°C, sunny', is_error: false }],
      },
    ]);
    expect(second).toMatchObject({
      text: 'It is 18°C and sunny in Paris.',
      toolCalls: [],
      stopReason: 'end_turn',
    });
    expect(second.usage).toEqual({
      inputTokens: 20,
      outputTokens: 12,
      cacheReadTokens: 100,
      cacheWriteTokens: 0,
    });
    expect(second.costUsd).toBeCloseTo((20 * 2 + 12 * 10 + 100 * 0.1) / 1e6, 12);
  });

  it('sends failed tool results with is_error, merges turns of one role, and puts tool results first', async () => {
    server.reply(anthropicMessage([text('done')], 'end_turn'));
    await model.generate(
      request([
        task,
        {
          role: 'assistant',
          text: '',
          toolCalls: [
            { id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
            { id: 'toolu_b', name: 'get_weather', input: { city: 'Atlantis' } },
          ],
        },
        {
          role: 'tool',
          results: [
            { callId: 'toolu_a', name: 'get_weather', content: '18°C', isError: false },
            { callId: 'toolu_b', name: 'get_weather', content: 'unknown city', isError: true },
          ],
        },
        { role: 'user', text: '[agentq] Keep it short.' },
        // An empty step (nothing said, nothing called) is not sent: the API rejects empty content.
        { role: 'assistant', text: '', toolCalls: [] },
        { role: 'user', text: 'Thanks.' },
      ]),
    );
    expect(server.received[0]!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'What is the weather in Paris?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Atlantis' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: '18°C', is_error: false },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: 'unknown city', is_error: true },
          { type: 'text', text: '[agentq] Keep it short.' },
          { type: 'text', text: 'Thanks.' },
        ],
      },
    ]);
  });

  it('leaves out system, tools and cache_control when there are none or caching is off', async () => {
    const plain = new AnthropicModel({
      id: 'anthropic/claude-haiku-4-5',
      apiKey: KEY,
      baseURL: server.url,
      promptCaching: false,
    });
    server.reply(anthropicMessage([text('hi')], 'end_turn'));
    const answer = await plain.generate(request([task], { tools: [] }));
    expect(plain.id).toBe('anthropic/claude-haiku-4-5');
    expect(server.received[0]!.body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is the weather in Paris?' }] }],
    });
    // Priced by the model that answered (the fixture says claude-sonnet-5-5): 10 in, 5 out.
    expect(answer.costUsd).toBeCloseTo((10 * 2 + 5 * 10) / 1e6, 12);
  });

  it('echoes a thinking turn verbatim, signatures included, on the next step of the tool loop', async () => {
    const thinking = {
      type: 'thinking',
      thinking: 'The user wants Paris weather.',
      signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h',
    };
    const redacted = { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4a' };
    server.reply(
      anthropicMessage(
        [thinking, redacted, text('Checking.'), toolUse('toolu_T', { city: 'Paris' })],
        'tool_use',
      ),
    );
    const first = await model.generate(request([task]));
    expect(first.text).toBe('Checking.');

    server.reply(
      anthropicMessage([text('Sunny.')], 'end_turn'),
      anthropicMessage([text('Sunny.')], 'end_turn'),
    );
    expect(first.providerData).toEqual({
      anthropic: { content: [thinking, redacted, text('Checking.'), toolUse('toolu_T', { city: 'Paris' })] },
    });
    const toolResults: Message = {
      role: 'tool',
      results: [{ callId: 'toolu_T', name: 'get_weather', content: 'sunny', isError: false }],
    };
    // The recorded turn (as the loop rebuilds it from Postgres, possibly in another process) is echoed as is.
    const recorded = JSON.parse(JSON.stringify(first.providerData));
    await model.generate(
      request([
        task,
        { role: 'assistant', text: first.text, toolCalls: first.toolCalls, providerData: recorded },
        toolResults,
      ]),
    );
    expect(server.received[1]!.body.messages[1]).toEqual({
      role: 'assistant',
      content: [thinking, redacted, text('Checking.'), toolUse('toolu_T', { city: 'Paris' })],
    });

    // Without provider data (e.g. a turn recorded by another provider) the turn is rebuilt from text and calls.
    await model.generate(
      request([task, { role: 'assistant', text: first.text, toolCalls: first.toolCalls }, toolResults]),
    );
    expect(server.received[2]!.body.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_T', name: 'get_weather', input: { city: 'Paris' } },
      ],
    });
  });

  it('records no provider data for a turn without thinking', async () => {
    server.reply(anthropicMessage([text('Checking.'), toolUse('toolu_U', { city: 'Rome' })], 'tool_use'));
    const answer = await model.generate(request([task]));
    expect(answer.providerData).toBeUndefined();
  });
});

describe('AnthropicModel: stop reasons', () => {
  const cases: {
    name: string;
    content: unknown[];
    stop: string | null;
    expected: object;
    extra?: Record<string, unknown>;
  }[] = [
    {
      name: 'end_turn',
      content: [text('Done.')],
      stop: 'end_turn',
      expected: { stopReason: 'end_turn', text: 'Done.', toolCalls: [] },
    },
    {
      name: 'tool_use',
      content: [toolUse('toolu_1', { city: 'Oslo' })],
      stop: 'tool_use',
      expected: {
        stopReason: 'tool_use',
        toolCalls: [{ id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } }],
      },
    },
    {
      name: 'max_tokens drops the cut-off tool_use and keeps the complete ones',
      content: [text('Two calls:'), toolUse('toolu_1', { city: 'Oslo' }), toolUse('toolu_2', { ci: 'Ber' })],
      stop: 'max_tokens',
      expected: {
        stopReason: 'max_tokens',
        text: 'Two calls:',
        toolCalls: [{ id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } }],
      },
    },
    {
      name: 'max_tokens in text',
      content: [text('The weather in Paris is')],
      stop: 'max_tokens',
      expected: { stopReason: 'max_tokens', text: 'The weather in Paris is', toolCalls: [] },
    },
    {
      name: 'model_context_window_exceeded is a cut-off too',
      content: [text('Partial'), toolUse('toolu_9', {})],
      stop: 'model_context_window_exceeded',
      expected: { stopReason: 'max_tokens', text: 'Partial', toolCalls: [] },
    },
    {
      name: 'pause_turn',
      content: [text('Still working')],
      stop: 'pause_turn',
      expected: { stopReason: 'pause_turn' },
    },
    {
      name: 'stop_sequence',
      content: [text('END')],
      stop: 'stop_sequence',
      expected: { stopReason: 'stop_sequence' },
    },
    {
      name: 'refusal without text takes the explanation',
      content: [],
      stop: 'refusal',
      extra: {
        stop_details: {
          type: 'refusal',
          category: 'cyber',
          explanation: 'This could enable malware development.',
        },
      },
      expected: { stopReason: 'refusal', text: '[cyber] This could enable malware development.' },
    },
    {
      name: 'refusal with text keeps it',
      content: [text('I can’t help with that.')],
      stop: 'refusal',
      expected: { text: 'I can’t help with that.' },
    },
    {
      name: 'an unknown stop reason with tool calls is tool_use',
      content: [toolUse('toolu_x', { city: 'Rome' })],
      stop: 'brand_new_reason',
      expected: { stopReason: 'tool_use' },
    },
    {
      name: 'an unknown stop reason without tool calls is end_turn',
      content: [text('ok')],
      stop: 'brand_new_reason',
      expected: { stopReason: 'end_turn' },
    },
    {
      name: 'a null stop reason is end_turn',
      content: [text('ok')],
      stop: null,
      expected: { stopReason: 'end_turn' },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      server.reply(anthropicMessage(c.content, c.stop, undefined, c.extra));
      expect(await model.generate(request([task]))).toMatchObject(c.expected);
    });
  }
});
