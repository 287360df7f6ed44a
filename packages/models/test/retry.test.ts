import { JobFailure, type Message, RetryableError } from '@agentq/agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicModel } from '../src/anthropic.ts';
import { OpenAIModel } from '../src/openai.ts';
import type { RetryPolicy } from '../src/retry.ts';
import { anthropicError, anthropicMessage, chatCompletion, openaiError, request, text } from './fixtures.ts';
import { WireServer } from './wire-server.ts';

const ANTHROPIC_KEY = 'sk-ant-api03-secret-0123456789abcdef';
const OPENAI_KEY = 'sk-proj-secret-0123456789abcdef';
const task: Message[] = [{ role: 'user', text: 'hello' }];
/** Tiny backoff so retries are quick; each test sets what it is about. */
const fast: Partial<RetryPolicy> = { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 5_000 };

let server: WireServer;
beforeEach(async () => {
  server = await WireServer.start();
});
afterEach(() => server.close());

const claude = (retry: Partial<RetryPolicy> = {}) =>
  new AnthropicModel({
    id: 'claude-sonnet-5-5',
    apiKey: ANTHROPIC_KEY,
    baseURL: server.url,
    retry: { ...fast, ...retry },
  });
const gpt = (retry: Partial<RetryPolicy> = {}) =>
  new OpenAIModel({
    id: 'gpt-5.6-terra',
    apiKey: OPENAI_KEY,
    baseURL: `${server.url}/v1`,
    retry: { ...fast, ...retry },
  });

const gap = (i: number) => server.received[i]!.at - server.received[i - 1]!.at;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('transient errors are retried', () => {
  it('429 with Retry-After: waits the seconds the server asked for, then succeeds', async () => {
    server.reply(
      anthropicError(429, 'rate_limit_error', 'Number of requests has exceeded your rate limit', {
        'retry-after': '1',
      }),
    );
    server.reply(anthropicMessage([text('ok')], 'end_turn'));
    const answer = await claude({ maxRetries: 2 }).generate(request(task));
    expect(answer.text).toBe('ok');
    expect(server.received).toHaveLength(2);
    expect(gap(1)).toBeGreaterThanOrEqual(990);
    expect(gap(1)).toBeLessThan(1_500);
  });

  it('429 with retry-after-ms: the precise header wins over Retry-After', async () => {
    server.reply(
      openaiError(429, 'Rate limit reached for requests', 'requests', 'rate_limit_exceeded', {
        'retry-after-ms': '300',
        'retry-after': '30',
      }),
    );
    server.reply(chatCompletion({ content: 'ok' }, 'stop'));
    const answer = await gpt({ maxRetries: 1 }).generate(request(task));
    expect(answer.text).toBe('ok');
    expect(server.received).toHaveLength(2);
    expect(gap(1)).toBeGreaterThanOrEqual(290);
    expect(gap(1)).toBeLessThan(1_500);
  });

  it('529 overloaded and 500 are retried with backoff until an answer comes', async () => {
    server.reply(
      anthropicError(529, 'overloaded_error', 'Overloaded'),
      anthropicError(500, 'api_error', 'Internal server error'),
      anthropicMessage([text('finally')], 'end_turn'),
    );
    expect((await claude({ maxRetries: 3 }).generate(request(task))).text).toBe('finally');
    expect(server.received).toHaveLength(3);
  });

  it('502 with an HTML body from a proxy is retried too', async () => {
    server.reply({ status: 502, raw: '<html>Bad Gateway</html>' }, chatCompletion({ content: 'ok' }, 'stop'));
    expect((await gpt({ maxRetries: 1 }).generate(request(task))).text).toBe('ok');
    expect(server.received).toHaveLength(2);
  });

  it('the SDK retries nothing by itself: maxRetries 0 means exactly one request', async () => {
    server.reply(anthropicError(500, 'api_error', 'Internal server error'));
    expect(await failure(claude({ maxRetries: 0 }).generate(request(task)))).toBeInstanceOf(RetryableError);
    expect(server.received).toHaveLength(1);
  });

  it('after the last retry: RetryableError naming provider, status and message, with the last Retry-After', async () => {
    server.reply(
      anthropicError(529, 'overloaded_error', 'Overloaded'),
      anthropicError(529, 'overloaded_error', 'Overloaded'),
      anthropicError(529, 'overloaded_error', 'Overloaded', { 'retry-after-ms': '40' }),
    );
    const error = await failure(claude({ maxRetries: 2 }).generate(request(task)));
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).message).toBe(
      'anthropic is overloaded (HTTP 529 overloaded_error: Overloaded); gave up after 3 attempts',
    );
    expect((error as RetryableError).retryAfterMs).toBe(40);
    expect(server.received).toHaveLength(3);
  });

  it('a Retry-After longer than maxRetryAfterMs ends the call at once, handing the wait to the queue', async () => {
    server.reply(anthropicError(429, 'rate_limit_error', 'slow down', { 'retry-after': '120' }));
    const started = Date.now();
    const error = await failure(claude({ maxRetries: 5, maxRetryAfterMs: 60_000 }).generate(request(task)));
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).retryAfterMs).toBe(120_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.received).toHaveLength(1);
  });

  it('a network failure is retried, then reported as RetryableError', async () => {
    const port = new URL(server.url).port;
    await server.close();
    const error = await failure(
      new OpenAIModel({
        id: 'gpt-5.6-terra',
        apiKey: OPENAI_KEY,
        baseURL: `http://127.0.0.1:${port}/v1`,
        retry: { ...fast, maxRetries: 2 },
      }).generate(request(task)),
    );
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toMatch(
      /^openai-compatible server http:\/\/127\.0\.0\.1:\d+ could not be reached \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); gave up after 3 attempts$/,
    );
    server = await WireServer.start(); // for afterEach
  });

  it('an attempt that gets no answer times out and is retried; the last timeout is a RetryableError', async () => {
    server.reply({ hang: true }, { hang: true });
    const started = Date.now();
    const error = await failure(claude({ maxRetries: 1, timeoutMs: 200 }).generate(request(task)));
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toBe('anthropic did not answer within 200 ms; gave up after 2 attempts');
    expect(server.received).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('x-should-retry: true makes a 409 transient', async () => {
    server.reply(
      anthropicError(409, 'conflict_error', 'try again', { 'x-should-retry': 'true' }),
      anthropicMessage([text('ok')], 'end_turn'),
    );
    expect((await claude({ maxRetries: 1 }).generate(request(task))).text).toBe('ok');
    expect(server.received).toHaveLength(2);
  });
});

describe('permanent errors fail the job at once', () => {
  it('401: JobFailure model_error naming provider, status and the provider’s message, one request', async () => {
    server.reply(anthropicError(401, 'authentication_error', 'invalid x-api-key'));
    const error = await failure(claude({ maxRetries: 3 }).generate(request(task)));
    expect(error).toBeInstanceOf(JobFailure);
    expect(error).toMatchObject({
      code: 'model_error',
      message:
        'anthropic rejected the credentials (check the API key) (HTTP 401 authentication_error: invalid x-api-key)',
      details: {
        provider: 'anthropic',
        status: 401,
        type: 'authentication_error',
        request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy',
      },
    });
    expect(server.received).toHaveLength(1);
  });

  it('401 from OpenAI echoing the key: the key never reaches the message', async () => {
    server.reply(
      openaiError(
        401,
        `Incorrect API key provided: ${OPENAI_KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_request_error',
        'invalid_api_key',
      ),
    );
    const error = (await failure(gpt({ maxRetries: 3 }).generate(request(task)))) as JobFailure;
    expect(error).toBeInstanceOf(JobFailure);
    expect(error.message).toContain(
      'HTTP 401 invalid_request_error (invalid_api_key): Incorrect API key provided: [redacted].',
    );
    expect(error.message).not.toContain(OPENAI_KEY);
    expect(error.message).not.toContain('0123456789abcdef');
    expect(server.received).toHaveLength(1);
  });

  it('400 bad request: the provider’s explanation, one request', async () => {
    server.reply(
      anthropicError(400, 'invalid_request_error', 'messages: text content blocks must be non-empty'),
    );
    const error = await failure(claude({ maxRetries: 3 }).generate(request(task)));
    expect(error).toMatchObject({
      name: 'JobFailure',
      code: 'model_error',
      message:
        'anthropic rejected the request (HTTP 400 invalid_request_error: messages: text content blocks must be non-empty)',
    });
    expect(server.received).toHaveLength(1);
  });

  it('404 unknown model, one request', async () => {
    server.reply(
      openaiError(
        404,
        'The model `gpt-9` does not exist or you do not have access to it.',
        'invalid_request_error',
        'model_not_found',
      ),
    );
    const error = await failure(gpt({ maxRetries: 3 }).generate(request(task)));
    expect(error).toMatchObject({
      code: 'model_error',
      message: expect.stringContaining('does not know this model or endpoint (HTTP 404'),
    });
    expect((error as Error).message).toContain('The model `gpt-9` does not exist');
    expect(server.received).toHaveLength(1);
  });

  it('429 insufficient_quota is not a rate limit: no retry', async () => {
    server.reply(
      openaiError(
        429,
        'You exceeded your current quota, please check your plan and billing details.',
        'insufficient_quota',
        'insufficient_quota',
      ),
    );
    const error = await failure(gpt({ maxRetries: 3 }).generate(request(task)));
    expect(error).toMatchObject({
      code: 'model_error',
      message: expect.stringContaining('quota or spend limit reached'),
    });
    expect(server.received).toHaveLength(1);
  });

  it('x-should-retry: false makes even a 500 final', async () => {
    server.reply(anthropicError(500, 'api_error', 'will not succeed', { 'x-should-retry': 'false' }));
    expect(await failure(claude({ maxRetries: 3 }).generate(request(task)))).toBeInstanceOf(JobFailure);
    expect(server.received).toHaveLength(1);
  });
});

describe('cancellation through the request signal', () => {
  it('an abort mid-request rejects at once with the signal’s reason', async () => {
    server.reply({ hang: true });
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    const pending = gpt({ maxRetries: 3 }).generate(request(task, { signal: controller.signal }));
    await until(() => server.received.length === 1);
    const aborted = Date.now();
    controller.abort(reason);
    expect(await failure(pending)).toBe(reason);
    expect(Date.now() - aborted).toBeLessThan(500);
    await until(() => server.abandoned === 1);
    expect(server.received).toHaveLength(1);
  });

  it('an abort during the backoff wait rejects at once, without another request', async () => {
    server.reply(anthropicError(529, 'overloaded_error', 'Overloaded', { 'retry-after': '10' }));
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const pending = claude({ maxRetries: 3 }).generate(request(task, { signal: controller.signal }));
    await until(() => server.received.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    const aborted = Date.now();
    controller.abort(reason);
    expect(await failure(pending)).toBe(reason);
    expect(Date.now() - aborted).toBeLessThan(500);
    expect(server.received).toHaveLength(1);
  });

  it('an already aborted signal sends nothing', async () => {
    const reason = new Error('cancelled before start');
    expect(await failure(claude().generate(request(task, { signal: AbortSignal.abort(reason) })))).toBe(
      reason,
    );
    expect(server.received).toHaveLength(0);
  });
});

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
