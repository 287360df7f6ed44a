// Reconnection edge cases the real API does not produce on demand (a server that replays from the
// start, a silent connection, a wrong content type), driven through the client's `fetch` option.
import { describe, expect, it } from 'vitest';
import { AgentqClient, AgentqError, type FetchLike, type JobEvent } from '../src/index.ts';

const encoder = new TextEncoder();
const sse = (seq: number, status?: string) => {
  const type = status ? 'status' : 'step';
  const data = status ? { job_id: 'j', status } : { index: seq };
  return `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify({ seq, type, created_at: '2026-01-01T00:00:00.000Z', data })}\n\n`;
};

/** A response whose body sends `chunks`, then ends (or, with `stall`, stays open until aborted). */
function stream(chunks: string[], signal: AbortSignal | null | undefined, stall = false): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      if (!stall) controller.close();
      else signal?.addEventListener('abort', () => controller.error(signal.reason), { once: true });
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

/** A client whose n-th events request is answered by `answers[n]`; records the Last-Event-ID sent. */
function scripted(answers: ((signal: AbortSignal | null | undefined) => Response | Promise<Response>)[]) {
  const sent: (string | null)[] = [];
  const fetch: FetchLike = async (_url, init) => {
    sent.push(new Headers(init.headers).get('last-event-id'));
    const answer = answers[sent.length - 1];
    if (!answer) throw new Error('no more answers');
    return answer(init.signal);
  };
  return { client: new AgentqClient({ baseUrl: 'http://agentq.test', fetch }), sent };
}

async function seqsOf(events: AsyncIterable<JobEvent>): Promise<number[]> {
  const out: number[] = [];
  for await (const e of events) out.push(e.seq);
  return out;
}

describe('events() reconnection', () => {
  it('yields nothing twice even when a server replays events it already sent', async () => {
    const { client, sent } = scripted([
      (s) => stream([sse(1), sse(2)], s),
      // This server ignores Last-Event-ID and starts over.
      (s) => stream([sse(1), sse(2), sse(3), sse(4, 'succeeded')], s),
    ]);
    expect(await seqsOf(client.events('j', { reconnectDelayMs: 1 }))).toEqual([1, 2, 3, 4]);
    expect(sent).toEqual([null, '2']);
  });

  it('reconnects when the connection goes silent for idleTimeoutMs, or never answers', async () => {
    const never = (s: AbortSignal | null | undefined) =>
      new Promise<Response>((_, reject) =>
        s?.addEventListener('abort', () => reject(s.reason), { once: true }),
      );
    const { client, sent } = scripted([
      (s) => stream(['retry: 1\n\n', sse(1)], s, true),
      never,
      (s) => stream([sse(2, 'failed')], s),
    ]);
    const started = Date.now();
    expect(await seqsOf(client.events('j', { idleTimeoutMs: 150 }))).toEqual([1, 2]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(sent).toEqual([null, '1', '1']);
  });

  it('does not end at a non-terminal status event, and ends at the terminal one without reading on', async () => {
    const { client } = scripted([
      (s) => stream([sse(1, 'queued'), sse(2, 'waiting_approval'), sse(3, 'cancelled'), sse(4)], s),
    ]);
    expect(await seqsOf(client.events('j'))).toEqual([1, 2, 3]);
  });

  it('starts after lastEventId and sends it on the first request', async () => {
    const { client, sent } = scripted([(s) => stream([sse(6), sse(7, 'succeeded')], s)]);
    expect(await seqsOf(client.events('j', { lastEventId: 5 }))).toEqual([6, 7]);
    expect(sent).toEqual(['5']);
    expect(() => client.events('j', { lastEventId: 'abc' })).toThrow(TypeError);
    expect(() => client.events('j', { lastEventId: -1 })).toThrow(TypeError);
  });

  it('fails at once on an answer that is not an event stream or an event without JSON', async () => {
    const html = scripted([() => new Response('<html>', { headers: { 'content-type': 'text/html' } })]);
    const notStream = await seqsOf(html.client.events('j')).catch((e: unknown) => e);
    expect(notStream).toBeInstanceOf(AgentqError);
    expect((notStream as AgentqError).code).toBe('unexpected_response');
    expect(html.sent).toHaveLength(1);

    const garbled = scripted([(s) => stream(['id: 1\ndata: {not json\n\n'], s)]);
    const bad = await seqsOf(garbled.client.events('j')).catch((e: unknown) => e);
    expect((bad as AgentqError).code).toBe('invalid_event');
  });
});
