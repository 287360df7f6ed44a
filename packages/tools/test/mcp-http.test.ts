// MCP over Streamable HTTP: an in-process SDK server (pagination, _meta, cancellation, lost sessions) and
// the real server-everything from npm started in its streamableHttp mode.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import type { Tool } from '@agentq/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpManager } from '../src/mcp/manager.ts';
import { IDEMPOTENCY_META_KEY } from '../src/mcp/tool.ts';
import { ToolRegistry } from '../src/registry.ts';
import { type PagedServer, startPagedServer } from './fixtures/paged-mcp-server.ts';
import { ctx, serverEntry, waitFor } from './support.ts';

describe('MCP over Streamable HTTP (SDK test server)', () => {
  let server: PagedServer;
  let manager: McpManager;
  let tools: ReadonlyMap<string, Tool>;

  beforeAll(async () => {
    server = await startPagedServer(3);
    manager = await McpManager.start({
      requestTimeoutMs: 5000,
      servers: [{ name: 'paged', transport: 'http', url: server.url, headers: { 'x-test': '1' } }],
      trusted: ['paged'],
    });
    tools = new ToolRegistry(manager.tools()).select();
  });
  afterAll(async () => {
    await manager?.close();
    await server?.close();
  });

  it('follows nextCursor through every page of tools/list', () => {
    expect(server.listCursors).toEqual([undefined, '3', '6']);
    expect([...tools.keys()]).toEqual([
      'paged__lookup',
      'paged__put',
      'paged__append',
      'paged__wipe',
      'paged__plain',
      'paged__fail',
      'paged__wait',
      'paged__strict',
    ]);
    expect(tools.size).toBe(server.toolCount);
  });

  it('maps every annotation combination of a trusted server', () => {
    const policies = Object.fromEntries([...tools].map(([name, tool]) => [name, tool.policy]));
    expect(policies).toMatchObject({
      paged__lookup: 'safe',
      paged__put: 'retry_with_key',
      paged__append: 'ask',
      paged__wipe: 'never',
      paged__plain: 'never',
    });
  });

  it('treats the same server as untrusted when it is not listed', async () => {
    const untrusted = await McpManager.start({
      requestTimeoutMs: 5000,
      servers: [{ name: 'paged', transport: 'http', url: server.url, headers: {} }],
    });
    try {
      expect(new Set(untrusted.tools().map((t) => t.policy))).toEqual(new Set(['never']));
    } finally {
      await untrusted.close();
    }
  });

  it('sends the idempotency key in _meta and maps structuredContent', async () => {
    const result = await tools.get('paged__put')!.execute({}, ctx({ idempotencyKey: 'aq_job9_2_0' }));
    expect(result).toEqual({ content: 'put done', structured: { tool: 'put' } });
    expect(server.calls.at(-1)).toEqual({ name: 'put', meta: { [IDEMPOTENCY_META_KEY]: 'aq_job9_2_0' } });
  });

  it('maps isError results and protocol errors caused by the arguments to error results', async () => {
    expect(await tools.get('paged__fail')!.execute({}, ctx())).toEqual({
      content: 'the thing is broken',
      isError: true,
    });
    const strict = await tools.get('paged__strict')!.execute({ n: -1 }, ctx());
    expect(strict.isError).toBe(true);
    expect(strict.content).toContain('paged__strict:');
    expect(strict.content).toContain('n must be positive');
  });

  it('cancels the request on the server when the call signal aborts', async () => {
    const controller = new AbortController();
    const pending = tools.get('paged__wait')!.execute({}, ctx({ signal: controller.signal }));
    await waitFor(() => server.calls.at(-1)?.name === 'wait');
    controller.abort(new Error('job cancelled'));
    await expect(pending).rejects.toThrow();
    await waitFor(() => server.cancelled.includes('wait'));
  });

  it('opens a new session when the server forgot the old one, running the call exactly once', async () => {
    server.forgetSessions();
    const before = server.calls.length;
    const result = await tools.get('paged__lookup')!.execute({}, ctx());
    expect(result.content).toBe('lookup done');
    expect(server.calls.slice(before).map((c) => c.name)).toEqual(['lookup']);
  });

  it('fails while the server is down and reconnects once it is back', async () => {
    const tool = tools.get('paged__lookup')!;
    const port = Number(new URL(server.url).port);
    await server.close();
    await expect(tool.execute({}, ctx())).rejects.toThrow();
    expect(manager.status()[0]!.connected).toBe(false);
    server = await startPagedServer(3, port); // same port: the configured URL stays valid
    expect((await tool.execute({}, ctx())).content).toBe('lookup done');
    expect(manager.status()[0]!.connected).toBe(true);
  });
});

const freePort = async (): Promise<number> => {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
};

describe('MCP over Streamable HTTP (server-everything from npm)', () => {
  let child: ChildProcess;
  let manager: McpManager;

  beforeAll(async () => {
    const port = await freePort();
    child = spawn(
      process.execPath,
      [serverEntry('@modelcontextprotocol/server-everything'), 'streamableHttp'],
      {
        env: { PATH: process.env.PATH ?? '', PORT: String(port) },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    await waitFor(() => stderr.includes('listening on port'), 10_000);
    manager = await McpManager.start({
      requestTimeoutMs: 5000,
      servers: [{ name: 'everything', transport: 'http', url: `http://127.0.0.1:${port}/mcp`, headers: {} }],
      trusted: ['everything'],
    });
  });
  afterAll(async () => {
    await manager?.close();
    child?.kill('SIGKILL');
  });

  it('lists and calls tools, with trusted annotations', async () => {
    const tools = new ToolRegistry(manager.tools()).select();
    expect(tools.get('everything__echo')?.policy).toBe('safe');
    expect(tools.get('everything__toggle-simulated-logging')?.policy).toBe('ask');
    const echo = await tools.get('everything__echo')!.execute({ message: 'over http' }, ctx());
    expect(echo).toEqual({ content: 'Echo: over http' });
    const sum = await tools.get('everything__get-sum')!.execute({ a: 20, b: 22 }, ctx());
    expect(sum.content).toContain('42');
  });
});
