// Real MCP servers from npm (@modelcontextprotocol/server-filesystem and server-everything), spawned over stdio.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Tool } from '@agentq/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpManager, McpStartError } from '../src/mcp/manager.ts';
import { ToolRegistry } from '../src/registry.ts';
import { ctx, serverEntry, waitFor } from './support.ts';

let dir: string;
let manager: McpManager;
let tools: ReadonlyMap<string, Tool>;
const events: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agentq-mcp-fs-'));
  manager = await McpManager.start({
    requestTimeoutMs: 10_000,
    servers: [
      {
        name: 'files',
        transport: 'stdio',
        command: process.execPath,
        args: [serverEntry('@modelcontextprotocol/server-filesystem'), dir],
        env: {},
      },
      {
        name: 'everything',
        transport: 'stdio',
        command: process.execPath,
        args: [serverEntry('@modelcontextprotocol/server-everything'), 'stdio'],
        env: {},
      },
    ],
    trusted: ['files'],
    onEvent: (event, fields) => events.push(`${event}:${String(fields.server)}`),
  });
  tools = new ToolRegistry(manager.tools()).select();
});
afterAll(async () => {
  await manager?.close();
  await rm(dir, { recursive: true, force: true });
});

const call = (name: string, input: unknown, signal?: AbortSignal) => {
  const tool = tools.get(name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool.execute(input, ctx(signal ? { signal } : {}));
};
const pidOf = (server: string) => manager.status().find((s) => s.name === server)?.pid;

describe('MCP over stdio', () => {
  it('lists every tool of each server as <server>__<tool>', () => {
    const names = [...tools.keys()];
    expect(names).toEqual(
      expect.arrayContaining([
        'files__read_text_file',
        'files__write_file',
        'files__edit_file',
        'files__list_directory',
        'everything__echo',
        'everything__get-sum',
        'everything__get-structured-content',
      ]),
    );
    expect(names.every((n) => n.startsWith('files__') || n.startsWith('everything__'))).toBe(true);
    const status = manager.status();
    expect(status.map((s) => s.name)).toEqual(['files', 'everything']);
    expect(status.every((s) => s.connected && s.tools > 5 && typeof s.pid === 'number')).toBe(true);
    expect(tools.get('everything__get-sum')?.description).toContain(
      'Tool "get-sum" of MCP server "everything"',
    );
  });

  it('maps annotations to policies only for the trusted server', () => {
    expect(tools.get('files__read_text_file')?.policy).toBe('safe'); // readOnlyHint
    expect(tools.get('files__write_file')?.policy).toBe('retry_with_key'); // idempotentHint
    expect(tools.get('files__create_directory')?.policy).toBe('retry_with_key');
    expect(tools.get('files__edit_file')?.policy).toBe('never'); // destructive, not idempotent
    expect(tools.get('files__move_file')?.policy).toBe('never');
    // server-everything annotates echo readOnlyHint: true, but it is not trusted.
    expect(tools.get('everything__echo')?.policy).toBe('never');
    expect(tools.get('everything__get-sum')?.policy).toBe('never');
  });

  it('makes real calls and maps their results', async () => {
    const file = path.join(dir, 'note.txt');
    const written = await call('files__write_file', { path: file, content: 'written through MCP' });
    expect(written.isError).toBeUndefined();
    expect(written.content).toContain('Successfully wrote');
    expect(await readFile(file, 'utf8')).toBe('written through MCP');
    const read = await call('files__read_text_file', { path: file });
    expect(read.content).toBe('written through MCP');

    expect((await call('everything__get-sum', { a: 2, b: 40 })).content).toContain('42');
    const weather = await call('everything__get-structured-content', { location: 'Chicago' });
    expect(weather.structured).toEqual({ temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 });
    const image = await call('everything__get-tiny-image', {});
    expect(image.content).toMatch(/\[image: image\/png, \d+ bytes, not shown\]/);
  });

  it('maps isError results, and validates input against the server schema before calling', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'agentq-mcp-outside-'));
    await writeFile(path.join(outside, 'secret.txt'), 'outside');
    const denied = await call('files__read_text_file', { path: path.join(outside, 'secret.txt') });
    await rm(outside, { recursive: true, force: true });
    expect(denied.isError).toBe(true);
    expect(denied.content).toMatch(/access denied|outside allowed/i);
    const missing = await call('files__read_text_file', { path: path.join(dir, 'nope.txt') });
    expect(missing.isError).toBe(true);
    expect(await call('everything__get-sum', { a: 1 })).toEqual({
      content: 'invalid input: b: is required',
      isError: true,
    });
  });

  it('honours the call signal and keeps the connection usable', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('job cancelled')), 200);
    const started = Date.now();
    await expect(
      call('everything__trigger-long-running-operation', { duration: 10, steps: 2 }, controller.signal),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await call('everything__echo', { message: 'still here' })).content).toContain('still here');
  });

  it('reconnects on the next use after the server process dies', async () => {
    const before = pidOf('files')!;
    process.kill(before, 'SIGKILL');
    await waitFor(() => manager.status().find((s) => s.name === 'files')?.connected === false);
    const read = await call('files__read_text_file', { path: path.join(dir, 'note.txt') });
    expect(read.content).toBe('written through MCP');
    const after = pidOf('files');
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(events).toEqual(expect.arrayContaining(['mcp.disconnected:files', 'mcp.connected:files']));
  });

  it('fails a call cut off by the server dying (for the loop to retry), then recovers', async () => {
    const pid = pidOf('everything')!;
    const pending = call('everything__trigger-long-running-operation', { duration: 5, steps: 5 });
    setTimeout(() => process.kill(pid, 'SIGKILL'), 200);
    await expect(pending).rejects.toThrow();
    expect((await call('everything__echo', { message: 'back' })).content).toContain('back');
    expect(pidOf('everything')).not.toBe(pid);
  });
});

describe('MCP start and shutdown', () => {
  it('fails the start naming the server that could not start, with its stderr', async () => {
    const error = await McpManager.start({
      requestTimeoutMs: 5000,
      servers: [
        {
          name: 'broken',
          transport: 'stdio',
          command: process.execPath,
          args: ['-e', 'console.error("no config!"); process.exit(3)'],
          env: {},
        },
      ],
    }).catch((e) => e);
    expect(error).toBeInstanceOf(McpStartError);
    expect(error.message).toContain('broken: could not connect to MCP server "broken"');
    expect(error.message).toContain('no config!');
  });

  it('stops the server processes on close', async () => {
    const own = await McpManager.start({
      requestTimeoutMs: 5000,
      servers: [
        {
          name: 'fs',
          transport: 'stdio',
          command: process.execPath,
          args: [serverEntry('@modelcontextprotocol/server-filesystem'), dir],
          env: {},
        },
      ],
    });
    const pid = own.status()[0]!.pid!;
    await own.close();
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const tool = own.tools().find((t) => t.name === 'fs__list_allowed_directories')!;
    await expect(tool.execute({}, ctx())).rejects.toThrow('was shut down');
  });
});
