// A Server-Sent Events parser per the WHATWG HTML "event stream interpretation" rules: lines end with
// CRLF, LF or CR (also when a CRLF is split across chunks); `:` lines are comments; `data` lines join
// with "\n"; `id` (unless it contains NUL) persists across events; `retry` takes only ASCII digits;
// an event is dispatched at a blank line, never at the end of the stream; one leading BOM is dropped.
// No dependencies and no Node APIs, so it runs wherever fetch and ReadableStream do.

export interface SseMessage {
  /** The `event` field, or `message` when the event had none. */
  type: string;
  /** The `data` lines joined with "\n". */
  data: string;
  /** The last event ID after this event (the spec's "last event ID string"); '' when none was set. */
  lastEventId: string;
}

export class SseParser {
  /** The last event ID string: what a reconnection sends as `Last-Event-ID`. */
  lastEventId = '';
  /** The reconnection time the server asked for with `retry:`, in ms. */
  retry: number | undefined;

  #pending = '';
  #started = false;
  #skipLeadingLf = false;
  #data = '';
  #type = '';
  #idBuffer = '';

  /** Feeds decoded text; returns the events it completed, in order. */
  push(chunk: string): SseMessage[] {
    const out: SseMessage[] = [];
    let text = chunk;
    if (text.length === 0) return out;
    if (!this.#started) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // The previous chunk ended with CR: an LF starting this one belongs to the same line break.
    if (this.#skipLeadingLf && text.length > 0) {
      if (text[0] === '\n') text = text.slice(1);
      this.#skipLeadingLf = false;
    }
    text = this.#pending + text;
    const lineBreak = /\r\n|\r|\n/g;
    let pos = 0;
    for (let m = lineBreak.exec(text); m !== null; m = lineBreak.exec(text)) {
      const line = text.slice(pos, m.index);
      pos = m.index + m[0].length;
      if (m[0] === '\r' && pos === text.length) this.#skipLeadingLf = true;
      this.#line(line, out);
    }
    this.#pending = text.slice(pos);
    return out;
  }

  /** The stream ended: an unfinished line or event is discarded, as the spec says. */
  end(): void {
    this.#pending = '';
    this.#data = '';
    this.#type = '';
    this.#skipLeadingLf = false;
  }

  #line(line: string, out: SseMessage[]): void {
    if (line === '') {
      this.#dispatch(out);
      return;
    }
    if (line[0] === ':') return; // comment (e.g. heartbeat)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    switch (field) {
      case 'event':
        this.#type = value;
        break;
      case 'data':
        this.#data += `${value}\n`;
        break;
      case 'id':
        if (!value.includes('\0')) this.#idBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retry = Number.parseInt(value, 10);
        break;
      default: // unknown fields are ignored
    }
  }

  #dispatch(out: SseMessage[]): void {
    this.lastEventId = this.#idBuffer;
    if (this.#data === '') {
      this.#type = '';
      return;
    }
    out.push({ type: this.#type || 'message', data: this.#data.slice(0, -1), lastEventId: this.lastEventId });
    this.#data = '';
    this.#type = '';
  }
}

/**
 * The events of one SSE response body, in order. `onChunk` sees every chunk as it arrives (comments
 * included), e.g. to notice a silent connection. Ending the iteration early cancels the body.
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  parser: SseParser = new SseParser(),
  onChunk?: () => void,
): AsyncGenerator<SseMessage, void, undefined> {
  const reader = body.getReader();
  // ignoreBOM: keep a BOM in the text so the parser drops exactly one, as the spec says.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        yield* parser.push(decoder.decode());
        parser.end();
        done = true;
        return;
      }
      onChunk?.();
      yield* parser.push(decoder.decode(next.value, { stream: true }));
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
