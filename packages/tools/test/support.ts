// Shared test helpers: a ToolContext, and a local HTTP server that records what reached it (test-support).
import { createRequire } from 'node:module';
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

export { type LocalServer, localServer, type Seen } from '../../../test-support/local-server.ts';

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
