// Each provider against a local server that answers in that provider's documented format.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltinTools } from '../src/builtin/index.ts';
import { searchProviderFor } from '../src/builtin/search-providers.ts';
import { webSearchTool } from '../src/builtin/web-search.ts';
import { withValidation } from '../src/validation.ts';
import { ctx, type LocalServer, localServer } from './support.ts';

const BRAVE = {
  type: 'search',
  query: { original: 'durable agents' },
  web: {
    type: 'search',
    results: [
      {
        title: 'Durable <strong>agents</strong> &amp; queues',
        url: 'https://example.com/durable',
        description: 'How to run <strong>agents</strong> as jobs &#x27;durably&#x27;.',
        page_age: '2025-01-01T00:00:00',
      },
      { title: 'Second', url: 'https://example.org/2', description: 'Another result.' },
    ],
  },
};
const TAVILY = {
  query: 'durable agents',
  answer: null,
  results: [
    { title: 'Tavily one', url: 'https://tavily.example/1', content: 'First snippet.', score: 0.91 },
    { title: 'Tavily two', url: 'https://tavily.example/2', content: 'Second snippet.', score: 0.5 },
  ],
  response_time: 1.2,
};
const SERPER = {
  searchParameters: { q: 'durable agents', type: 'search', engine: 'google' },
  knowledgeGraph: { title: 'ignored' },
  organic: [
    { title: 'Serper one', link: 'https://serper.example/1', snippet: 'Google says one.', position: 1 },
    { title: 'No link', snippet: 'dropped' },
    { title: 'Serper two', link: 'https://serper.example/2', snippet: 'Google says two.', position: 2 },
  ],
};

let api: LocalServer;
beforeAll(async () => {
  api = await localServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const auth = req.headers['x-subscription-token'] ?? req.headers.authorization ?? req.headers['x-api-key'];
    if (String(auth).includes('bad-key')) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid key"}');
      return;
    }
    if (String(auth).includes('busy-key')) {
      res.writeHead(503).end('overloaded');
      return;
    }
    const body =
      path === '/res/v1/web/search'
        ? BRAVE
        : path === '/search' && req.headers.authorization
          ? TAVILY
          : SERPER;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
});
afterAll(() => api.close());

const search = (keys: Parameters<typeof searchProviderFor>[0], input: unknown) => {
  const provider = searchProviderFor({ ...keys, searchBaseUrl: api.origin });
  if (!provider) throw new Error('no provider');
  return withValidation(webSearchTool(provider)).execute(input, ctx());
};

describe('web_search', () => {
  it('Brave: GET /res/v1/web/search with X-Subscription-Token, tags and entities stripped', async () => {
    const result = await search({ braveApiKey: 'brave-key' }, { query: 'durable agents', count: 2 });
    const req = api.seen.at(-1)!;
    expect(req.method).toBe('GET');
    const url = new URL(req.url, 'http://x');
    expect(url.pathname).toBe('/res/v1/web/search');
    expect(url.searchParams.get('q')).toBe('durable agents');
    expect(url.searchParams.get('count')).toBe('2');
    expect(req.headers['x-subscription-token']).toBe('brave-key');
    expect(req.headers.accept).toBe('application/json');
    expect(result.structured).toEqual({
      provider: 'brave',
      query: 'durable agents',
      results: [
        {
          title: 'Durable agents & queues',
          url: 'https://example.com/durable',
          snippet: "How to run agents as jobs 'durably'.",
        },
        { title: 'Second', url: 'https://example.org/2', snippet: 'Another result.' },
      ],
    });
    expect(result.content).toBe(
      "1. Durable agents & queues\n   https://example.com/durable\n   How to run agents as jobs 'durably'.\n" +
        '2. Second\n   https://example.org/2\n   Another result.',
    );
  });

  it('Tavily: POST /search with a bearer key and max_results', async () => {
    const result = await search({ tavilyApiKey: 'tvly-key' }, { query: 'durable agents' });
    const req = api.seen.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/search');
    expect(req.headers.authorization).toBe('Bearer tvly-key');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ query: 'durable agents', max_results: 5, search_depth: 'basic' });
    expect(result.structured).toMatchObject({
      provider: 'tavily',
      results: [
        { title: 'Tavily one', url: 'https://tavily.example/1', snippet: 'First snippet.' },
        { title: 'Tavily two', url: 'https://tavily.example/2', snippet: 'Second snippet.' },
      ],
    });
  });

  it('Serper: POST /search with X-API-KEY, {q, num}, organic results without a link dropped', async () => {
    const result = await search({ serperApiKey: 'serper-key' }, { query: 'durable agents', count: 3 });
    const req = api.seen.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/search');
    expect(req.headers['x-api-key']).toBe('serper-key');
    expect(req.headers.authorization).toBeUndefined();
    expect(JSON.parse(req.body)).toEqual({ q: 'durable agents', num: 3 });
    expect(result.structured).toMatchObject({
      provider: 'serper',
      results: [
        { title: 'Serper one', url: 'https://serper.example/1', snippet: 'Google says one.' },
        { title: 'Serper two', url: 'https://serper.example/2', snippet: 'Google says two.' },
      ],
    });
  });

  it('prefers Brave, then Tavily, then Serper, and is not offered without any key', () => {
    expect(searchProviderFor({ serperApiKey: 's', tavilyApiKey: 't', braveApiKey: 'b' })?.name).toBe('brave');
    expect(searchProviderFor({ serperApiKey: 's', tavilyApiKey: 't' })?.name).toBe('tavily');
    expect(searchProviderFor({ serperApiKey: 's' })?.name).toBe('serper');
    expect(searchProviderFor({})).toBeUndefined();
    expect(createBuiltinTools({}).map((t) => t.name)).not.toContain('web_search');
    expect(createBuiltinTools({ tavilyApiKey: 't' }).map((t) => t.name)).toContain('web_search');
  });

  it('reports a rejected key to the model and throws on outages so the loop retries', async () => {
    const rejected = await search({ braveApiKey: 'bad-key' }, { query: 'x' });
    expect(rejected).toEqual({
      content: 'web search failed: brave search answered HTTP 401: {"error":"invalid key"}',
      isError: true,
    });
    await expect(search({ serperApiKey: 'busy-key' }, { query: 'x' })).rejects.toThrow(
      'serper search answered HTTP 503: overloaded',
    );
  });

  it('validates the query and count', async () => {
    expect((await search({ braveApiKey: 'k' }, { query: '' })).content).toBe(
      'invalid input: query: must NOT have fewer than 1 characters',
    );
    expect((await search({ braveApiKey: 'k' }, { query: 'x', count: 50 })).content).toBe(
      'invalid input: count: must be <= 10',
    );
  });
});
