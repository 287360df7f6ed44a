import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSse, type SseMessage, SseParser } from '../src/sse.ts';

/** Parses `text` fed in the given pieces (or char by char), then ends the stream. */
function parse(pieces: string[]): { messages: SseMessage[]; parser: SseParser } {
  const parser = new SseParser();
  const messages = pieces.flatMap((p) => parser.push(p));
  parser.end();
  return { messages, parser };
}
const whole = (text: string) => parse([text]);
const charByChar = (text: string) => parse([...text]);

describe('SseParser', () => {
  it('dispatches at a blank line with type, data and id', () => {
    const { messages } = whole('id: 1\nevent: status\ndata: {"a":1}\n\n');
    expect(messages).toEqual([{ type: 'status', data: '{"a":1}', lastEventId: '1' }]);
  });

  it('joins multi-line data with \\n and drops only the final newline', () => {
    const { messages } = whole('data: first\ndata:second\ndata:  third\ndata\n\n');
    // "data:second" has no space to strip; "data:  third" loses exactly one; "data" alone is an empty line.
    expect(messages).toEqual([{ type: 'message', data: 'first\nsecond\n third\n', lastEventId: '' }]);
  });

  it('accepts CRLF, CR and LF line endings, mixed', () => {
    const text = 'event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\revent: c\ndata: 3\n\n';
    const expected = [
      { type: 'a', data: '1', lastEventId: '' },
      { type: 'b', data: '2', lastEventId: '' },
      { type: 'c', data: '3', lastEventId: '' },
    ];
    expect(whole(text).messages).toEqual(expected);
    expect(charByChar(text).messages).toEqual(expected);
  });

  it('treats a CRLF split across chunks as one line break, not two', () => {
    // Were the LF taken as a second break, "data: x\r" + "\n" would dispatch an event early, and the
    // following "data: y" would become a second event.
    const { messages } = parse(['data: x\r', '\ndata: y\r', '\n\r', '\n']);
    expect(messages).toEqual([{ type: 'message', data: 'x\ny', lastEventId: '' }]);
  });

  it('ignores comments, including heartbeats between and inside events', () => {
    const { messages } = whole(': heartbeat\n\nid: 7\n: inside\ndata: d\n\n:\n\n');
    expect(messages).toEqual([{ type: 'message', data: 'd', lastEventId: '7' }]);
  });

  it('keeps the last event id across events and updates it even from an event without data', () => {
    const { messages, parser } = whole('id: 1\ndata: a\n\ndata: b\n\nid: 5\n\n');
    expect(messages.map((m) => m.lastEventId)).toEqual(['1', '1']);
    expect(parser.lastEventId).toBe('5');
  });

  it('ignores an id containing NUL and accepts an empty id (which resets it)', () => {
    const { messages } = whole('id: 3\ndata: a\n\nid: 4\u0000x\ndata: b\n\nid\ndata: c\n\n');
    expect(messages.map((m) => m.lastEventId)).toEqual(['3', '3', '']);
  });

  it('takes retry only when it is all ASCII digits', () => {
    expect(whole('retry: 2000\n\n').parser.retry).toBe(2000);
    expect(whole('retry: 2000\nretry: 1.5\nretry: x\nretry: -1\n\n').parser.retry).toBe(2000);
    expect(whole('retry: 10s\n\n').parser.retry).toBeUndefined();
  });

  it('does not dispatch an event without data, and resets its type', () => {
    const { messages } = whole('event: lonely\n\ndata: x\n\n');
    expect(messages).toEqual([{ type: 'message', data: 'x', lastEventId: '' }]);
  });

  it('dispatches data: with an empty value as an empty string', () => {
    expect(whole('data:\n\n').messages).toEqual([{ type: 'message', data: '', lastEventId: '' }]);
  });

  it('discards an event the stream ends in the middle of', () => {
    const { messages } = whole('data: done\n\nid: 9\nevent: status\ndata: {"half"');
    expect(messages).toEqual([{ type: 'message', data: 'done', lastEventId: '' }]);
    // Without a blank line at the end, even a complete-looking last line is not an event.
    expect(whole('data: x\n').messages).toEqual([]);
  });

  it('ignores unknown fields and treats a line without colon as a field with an empty value', () => {
    const { messages } = whole('foo: bar\nevent\ndata: x\n\n');
    expect(messages).toEqual([{ type: 'message', data: 'x', lastEventId: '' }]);
  });

  it('keeps a colon inside the value and strips only one leading space', () => {
    expect(whole('data:  a: b\n\n').messages[0]?.data).toBe(' a: b');
  });

  it('drops one leading BOM, and only at the start of the stream', () => {
    const { messages } = parse(['\uFEFFdata: a\n\n', '\uFEFFdata: b\n\n']);
    // A BOM later in the stream is part of the line, so "\uFEFFdata" is an unknown field.
    expect(messages).toEqual([{ type: 'message', data: 'a', lastEventId: '' }]);
  });
});

describe('readSse', () => {
  const stream = (chunks: Uint8Array[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c);
        controller.close();
      },
    });

  it('decodes UTF-8 split inside a multi-byte character', async () => {
    const bytes = new TextEncoder().encode('data: héllo ✓\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    const out: SseMessage[] = [];
    for await (const m of readSse(stream([bytes.slice(0, cut), bytes.slice(cut)]))) out.push(m);
    expect(out).toEqual([{ type: 'message', data: 'héllo ✓', lastEventId: '' }]);
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: tick\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const m of readSse(body)) {
      expect(m.data).toBe('tick');
      break;
    }
    expect(cancelled).toBe(true);
  });
});

describe('the SDK source', () => {
  it('uses no Node-only modules or globals, so it runs in edge runtimes', () => {
    const dir = new URL('../src/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const code = readFileSync(new URL(file, dir), 'utf8');
      expect(code, file).not.toMatch(/from ['"]node:|require\(|\bBuffer\b|\bprocess\.|@agentq\/webhooks['"]/);
    }
  });
});
