// Shared test helpers: a ToolContext, and a local HTTP server that records what reached it.
import { once } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ToolContext } from '@agentq/agent';

export const ctx = (over: Partial<ToolContext> = {}): ToolContext => ({
  jobId: 'job1',
  tenantId: 'tenant-a',
  userId: undefined,
  callId: 'call_0_0',
  idempotencyKey: 'aq_job1_0_0',
  attempt: 1,
  signal: new AbortController().signal,
  ...over,
});

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface LocalServer {
  origin: string;
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

export async function localServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
): Promise<LocalServer> {
  const seen: Seen[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    handler(req, res, body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const require = createRequire(import.meta.url);
/** The entry script of an MCP server package installed as a devDependency (run with node, no npx). */
export function serverEntry(
  pkg: '@modelcontextprotocol/server-filesystem' | '@modelcontextprotocol/server-everything',
) {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'dist', 'index.js');
}

export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
