// A local HTTP server that answers like a provider's API, for driving the real SDK clients through baseURL.
// Each test queues the replies it wants, in order, and afterwards asserts what the server received.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON that tests inspect field by field
  body: any;
  /** ms since the server started. */
  at: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** JSON body; `raw` sends text as is. */
  body?: unknown;
  raw?: string;
  /** Never answer (until the client gives up or the server closes). */
  hang?: boolean;
  /** Answer after this long. */
  delayMs?: number;
}

export class WireServer {
  readonly received: Received[] = [];
  /** Requests whose connection the client closed before an answer. */
  abandoned = 0;
  private readonly queue: (Reply | ((req: Received) => Reply))[] = [];
  private readonly started = Date.now();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WireServer> {
    let self: WireServer | undefined;
    const server = createServer((req, res) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        data += chunk;
      });
      req.on('end', () => self?.handle(req.method ?? '', req.url ?? '', req.headers, data, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new WireServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  /** Queues replies, answered in order; a request with nothing queued gets a 500 that names the problem. */
  reply(...replies: (Reply | ((req: Received) => Reply))[]): this {
    this.queue.push(...replies);
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    data: string,
    res: ServerResponse,
  ): void {
    const received: Received = {
      method,
      path,
      headers,
      body: data ? JSON.parse(data) : undefined,
      at: Date.now() - this.started,
    };
    this.received.push(received);
    const next = this.queue.shift();
    const reply: Reply =
      next === undefined
        ? {
            status: 500,
            body: {
              error: { type: 'test_error', message: `no reply queued for request ${this.received.length}` },
            },
          }
        : typeof next === 'function'
          ? next(received)
          : next;
    res.on('close', () => {
      if (!res.writableEnded) this.abandoned++;
    });
    if (reply.hang) return;
    const send = () => {
      if (res.destroyed) return;
      const text = reply.raw ?? JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status ?? 200, {
        'content-type': reply.raw === undefined ? 'application/json' : 'text/plain',
        ...reply.headers,
      });
      res.end(text);
    };
    if (reply.delayMs) setTimeout(send, reply.delayMs);
    else send();
  }
}
