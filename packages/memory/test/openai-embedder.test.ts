// OpenAIEmbedder through the real openai SDK against a local server answering the documented
// POST /v1/embeddings format.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAIEmbedder } from '../src/index.ts';

interface Call {
  path: string;
  headers: IncomingHttpHeaders;
  body: { model: string; input: string[]; encoding_format?: string; dimensions?: number };
}

/** A deterministic fake embedding: [length of text, index of text in its request, 1]. */
const fakeVector = (text: string, index: number, size: number) => [
  text.length,
  index,
  ...Array(size - 2).fill(1),
];

describe('OpenAIEmbedder', () => {
  let server: Server;
  let baseURL: string;
  const calls: Call[] = [];
  let reply: (call: Call) => { status: number; body: unknown };

  const ok = (call: Call, size = 3) => ({
    status: 200,
    body: {
      object: 'list',
      // Reversed on purpose: the embedder must order by `index`, not by position.
      data: call.body.input
        .map((text, index) => ({ object: 'embedding', index, embedding: fakeVector(text, index, size) }))
        .reverse(),
      model: call.body.model,
      usage: { prompt_tokens: 5, total_tokens: 5 },
    },
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        const call: Call = { path: req.url ?? '', headers: req.headers, body: JSON.parse(raw) };
        calls.push(call);
        const { status, body } = reply(call);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    calls.length = 0;
    reply = (call) => ok(call);
  });

  it('posts the documented request and returns one vector per text, in input order', async () => {
    const embedder = new OpenAIEmbedder({ apiKey: 'sk-test', baseURL, maxRetries: 0 });
    expect(embedder.id).toBe('openai:text-embedding-3-small');
    expect(embedder.dimension).toBe(1536);
    // dimension is checked against what the server returns, so use a server-sized model here.
    const small = new OpenAIEmbedder({ apiKey: 'sk-test', baseURL, model: 'my-model', maxRetries: 0 });
    const vectors = await small.embed(['a', 'bbb']);
    expect(vectors).toEqual([fakeVector('a', 0, 3), fakeVector('bbb', 1, 3)]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.path).toBe('/v1/embeddings');
    expect(calls[0]?.headers.authorization).toBe('Bearer sk-test');
    expect(calls[0]?.body).toEqual({ model: 'my-model', input: ['a', 'bbb'], encoding_format: 'float' });
  });

  it('splits many texts into batches', async () => {
    const embedder = new OpenAIEmbedder({ apiKey: 'k', baseURL, model: 'm', batchSize: 2, maxRetries: 0 });
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    const vectors = await embedder.embed(texts);
    expect(calls.map((c) => c.body.input)).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    expect(vectors.map((v) => v[0])).toEqual([1, 2, 3, 4, 5]);
  });

  it('asks for shortened vectors and rejects answers of another length', async () => {
    const embedder = new OpenAIEmbedder({
      apiKey: 'k',
      baseURL,
      model: 'text-embedding-3-large',
      dimensions: 3,
      maxRetries: 0,
    });
    expect(embedder.dimension).toBe(3);
    expect(await embedder.embed(['x'])).toEqual([fakeVector('x', 0, 3)]);
    expect(calls[0]?.body.dimensions).toBe(3);
    reply = (call) => ok(call, 4);
    await expect(embedder.embed(['x'])).rejects.toThrow(/4-dimensional vectors, expected 3/);
  });

  it('rejects an answer missing a vector', async () => {
    reply = (call) => {
      const full = ok(call).body as { data: unknown[] };
      return { status: 200, body: { ...full, data: full.data.slice(1) } };
    };
    const embedder = new OpenAIEmbedder({ apiKey: 'k', baseURL, model: 'm', maxRetries: 0 });
    await expect(embedder.embed(['a', 'b'])).rejects.toThrow(/no vector for input/);
  });

  it('surfaces API errors', async () => {
    reply = () => ({
      status: 401,
      body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } },
    });
    const embedder = new OpenAIEmbedder({ apiKey: 'bad', baseURL, model: 'm', maxRetries: 0 });
    await expect(embedder.embed(['a'])).rejects.toThrow(/Incorrect API key/);
  });

  it('sends nothing for no texts', async () => {
    const embedder = new OpenAIEmbedder({ apiKey: 'k', baseURL, maxRetries: 0 });
    expect(await embedder.embed([])).toEqual([]);
    expect(calls).toHaveLength(0);
  });
});
