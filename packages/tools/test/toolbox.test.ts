import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Tool } from '@agentq/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTimeTool } from '../src/builtin/current-time.ts';
import { createBuiltinTools } from '../src/builtin/index.ts';
import {
  createToolbox,
  McpConfigError,
  ToolSelectionError,
  toolboxOptionsFromSettings,
} from '../src/index.ts';
import { ctx, serverEntry } from './support.ts';

let dir: string;
let mcpConfigPath: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agentq-toolbox-'));
  mcpConfigPath = path.join(dir, 'mcp.json');
  await writeFile(
    mcpConfigPath,
    JSON.stringify({
      mcpServers: {
        files: {
          command: process.execPath,
          args: [serverEntry('@modelcontextprotocol/server-filesystem'), dir],
        },
      },
    }),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const memoryTool: Tool = {
  name: 'memory_search',
  description: 'extra tool',
  inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
  policy: 'safe',
  execute: async () => ({ content: 'remembered' }),
};

describe('built-in set', () => {
  it('offers what the settings enable', () => {
    expect(createBuiltinTools().map((t) => t.name)).toEqual(['current_time', 'http_request']);
    expect(
      createBuiltinTools({ workspaceDir: dir, runPython: true, serperApiKey: 'k' }).map((t) => [
        t.name,
        t.policy,
      ]),
    ).toEqual([
      ['current_time', 'safe'],
      ['http_request', 'retry_with_key'],
      ['read_file', 'safe'],
      ['write_file', 'retry_with_key'],
      ['run_python', 'never'],
      ['web_search', 'safe'],
    ]);
  });

  it('current_time answers in UTC and in a named zone', async () => {
    const tool = currentTimeTool(() => new Date('2026-03-01T12:00:00Z'));
    expect((await tool.execute({}, ctx())).content).toBe('2026-03-01T12:00:00.000Z');
    const paris = await tool.execute({ timezone: 'Europe/Paris' }, ctx());
    expect(paris.content).toBe(
      '2026-03-01T12:00:00.000Z (UTC)\n2026-03-01T13:00:00+01:00 (Sunday, Europe/Paris)',
    );
    const utc = await tool.execute({ timezone: 'UTC' }, ctx());
    expect(utc.structured).toMatchObject({ local: '2026-03-01T12:00:00+00:00' });
    expect(await tool.execute({ timezone: 'Mars/Olympus' }, ctx())).toMatchObject({ isError: true });
  });
});

describe('createToolbox', () => {
  it('combines built-ins, extra tools and MCP tools under ALLOWED_TOOLS', async () => {
    const toolbox = await createToolbox({
      workspaceDir: dir,
      mcpConfigPath,
      mcpTrustedServers: ['files'],
      allowedTools: ['current_time', 'read_file', 'memory_search', 'files__*'],
      extraTools: [memoryTool],
    });
    try {
      const names = toolbox.names();
      expect(names).toEqual(
        expect.arrayContaining(['current_time', 'read_file', 'memory_search', 'files__read_text_file']),
      );
      expect(names).not.toContain('http_request');
      expect(names).not.toContain('write_file');
      expect(
        toolbox.check(['read_file', 'http_request', 'files__write_file', 'files__nope', 'run_python']),
      ).toEqual({
        unknown: ['files__nope', 'run_python'],
        notAllowed: ['http_request'],
      });
      expect(() => toolbox.tools(['http_request'])).toThrow(ToolSelectionError);

      const job = toolbox.tools(['files__write_file', 'files__read_text_file', 'memory_search']);
      expect([...job.keys()]).toEqual(['files__write_file', 'files__read_text_file', 'memory_search']);
      expect(job.get('files__write_file')?.policy).toBe('retry_with_key');
      const file = path.join(dir, 'from-toolbox.txt');
      await job.get('files__write_file')!.execute({ path: file, content: 'hello' }, ctx());
      expect((await job.get('files__read_text_file')!.execute({ path: file }, ctx())).content).toBe('hello');
      // Extra tools are validated like the rest.
      expect(await job.get('memory_search')!.execute({}, ctx())).toEqual({
        content: 'invalid input: q: is required',
        isError: true,
      });
      expect(toolbox.specs(['current_time'])[0]?.name).toBe('current_time');
      expect(toolbox.mcp?.status()[0]).toMatchObject({ name: 'files', connected: true });
    } finally {
      await toolbox.close();
    }
    expect(toolbox.mcp?.status()[0]?.connected).toBe(false);
  });

  it('without connecting (the API), accepts names under configured MCP servers', async () => {
    const toolbox = await createToolbox({ mcpConfigPath, connectMcp: false });
    expect(toolbox.mcp).toBeUndefined();
    expect(toolbox.check(['files__anything', 'other__x', 'http_request'])).toEqual({
      unknown: ['other__x'],
      notAllowed: [],
    });
    await toolbox.close();
  });

  it('fails fast on a broken MCP config', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ mcpServers: { files: { url: 'nope' } } }));
    await expect(createToolbox({ mcpConfigPath: bad })).rejects.toBeInstanceOf(McpConfigError);
  });
});

describe('toolboxOptionsFromSettings', () => {
  it('maps the config names onto options', () => {
    const options = toolboxOptionsFromSettings({
      ALLOWED_TOOLS: ['a'],
      HTTP_TOOL_ALLOW_PRIVATE: true,
      HTTP_TOOL_MAX_RESPONSE_BYTES: 1234,
      WORKSPACE_DIR: './ws',
      RUN_PYTHON: 'on',
      PYTHON_BIN: 'python3.11',
      RUN_PYTHON_MEMORY_MB: 64,
      BRAVE_API_KEY: undefined,
      TAVILY_API_KEY: 'tv',
      SERPER_API_KEY: undefined,
      SEARCH_BASE_URL: 'http://proxy',
      MCP_CONFIG: '/etc/mcp.json',
      MCP_TRUSTED_SERVERS: ['files'],
      TOOL_TIMEOUT_MS: 5000,
    });
    expect(options).toEqual({
      allowedTools: ['a'],
      httpAllowPrivate: true,
      httpMaxResponseBytes: 1234,
      workspaceDir: './ws',
      runPython: true,
      pythonBin: 'python3.11',
      runPythonMemoryMb: 64,
      tavilyApiKey: 'tv',
      searchBaseUrl: 'http://proxy',
      mcpConfigPath: '/etc/mcp.json',
      mcpTrustedServers: ['files'],
      toolTimeoutMs: 5000,
    });
  });
});
