// A scripted job uses the deployment's real tools through a real worker process: http_request, write_file,
// read_file, run_python and a real MCP server's tool (server-everything over stdio). /jobs/:id/steps shows
// each call's input, result, status and idempotency key.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { json, post, startPlatform, type TestPlatform } from '../../../test-support/platform.ts';
import { spawnWorker, type WorkerProcess } from '../../../test-support/worker-process.ts';

const requireFromTools = createRequire(new URL('../../../packages/tools/package.json', import.meta.url));
const everything = join(
  dirname(requireFromTools.resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist',
  'index.js',
);

let p: TestPlatform;
let worker: WorkerProcess;
let receiver: Server;
let dir: string;
const received: { method: string; key: string; body: string }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', key: String(req.headers['idempotency-key']), body });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"created":true}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  dir = await mkdtemp(join(tmpdir(), 'agentq-tools-'));
  const mcpConfig = join(dir, 'mcp.json');
  await writeFile(
    mcpConfig,
    JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [everything] } } }),
  );
  p = await startPlatform({ label: 'tools', workers: 0 });
  worker = spawnWorker(p.config, {
    HTTP_TOOL_ALLOW_PRIVATE: 'true',
    RUN_PYTHON: 'on',
    WORKSPACE_DIR: join(dir, 'workspace'),
    MCP_CONFIG: mcpConfig,
  });
  await worker.ready;
}, 60_000);
afterAll(async () => {
  await worker?.kill();
  receiver?.close();
  await p?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Call = {
  call_id: string;
  name: string;
  input: unknown;
  status: string;
  result: { content: string; structured?: unknown };
  idempotency_key: string;
};

it('runs built-in and MCP tools and records every call', async () => {
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/orders`;
  const script = [
    {
      tool_calls: [
        {
          name: 'http_request',
          input: {
            method: 'POST',
            url,
            body: '{"sku":"A-1"}',
            headers: { 'content-type': 'application/json' },
          },
        },
        { name: 'write_file', input: { path: 'notes/plan.txt', content: 'step one' } },
      ],
    },
    {
      tool_calls: [
        { name: 'read_file', input: { path: 'notes/plan.txt' } },
        { name: 'run_python', input: { code: 'print(sum(range(10)))' } },
        { name: 'everything__echo', input: { message: 'hello mcp' } },
      ],
    },
    { text: 'all done' },
  ];
  const res = await post(`${p.url}/submit`, { task: 'use every tool', script });
  const { job_id: id } = await json<{ job_id: string }>(res);
  const status = await json<{ status: string; error: unknown }>(await fetch(`${p.url}/status/${id}?wait=40`));
  expect(status).toMatchObject({ status: 'succeeded', error: null });

  const steps = await json<{ tool_calls: Call[] }[]>(await fetch(`${p.url}/jobs/${id}/steps`));
  const calls = steps.flatMap((s) => s.tool_calls);
  expect(calls.map((c) => [c.name, c.status])).toEqual([
    ['http_request', 'succeeded'],
    ['write_file', 'succeeded'],
    ['read_file', 'succeeded'],
    ['run_python', 'succeeded'],
    ['everything__echo', 'succeeded'],
  ]);
  expect(calls.map((c) => c.idempotency_key)).toEqual([
    `aq_${id}_0_0`,
    `aq_${id}_0_1`,
    `aq_${id}_1_0`,
    `aq_${id}_1_1`,
    `aq_${id}_1_2`,
  ]);
  const [http, , read, python, mcp] = calls;
  expect(http?.input).toMatchObject({ method: 'POST', url });
  expect(http?.result.structured).toMatchObject({ status: 201, body: '{"created":true}' });
  expect(received).toEqual([{ method: 'POST', key: `aq_${id}_0_0`, body: '{"sku":"A-1"}' }]);
  expect(read?.result.content).toContain('step one');
  expect(python?.result.content).toContain('45');
  expect(mcp?.result.content).toContain('hello mcp');
}, 60_000);
