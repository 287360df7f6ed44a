import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMcpConfig, McpConfigError, parseMcpConfig } from '../src/mcp/config.ts';
import { policyFor } from '../src/mcp/policy.ts';
import { mapCallResult } from '../src/mcp/result.ts';
import { mcpToolName } from '../src/mcp/tool.ts';

const problemsOf = (raw: unknown): string[] => {
  try {
    parseMcpConfig(raw);
  } catch (error) {
    if (error instanceof McpConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('MCP config', () => {
  it('accepts stdio and Streamable HTTP servers in the common format', () => {
    const parsed = parseMcpConfig({
      mcpServers: {
        files: { command: 'node', args: ['server.js', '/data'], env: { LOG: '1' } },
        remote: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer x' } },
        typed: { type: 'streamable-http', url: 'http://127.0.0.1:9000/mcp' },
        off: { command: 'x', disabled: true },
        claude: { type: 'stdio', command: 'uvx', autoApprove: [], foo: 1 },
      },
    });
    expect(parsed.servers).toEqual([
      { name: 'files', transport: 'stdio', command: 'node', args: ['server.js', '/data'], env: { LOG: '1' } },
      {
        name: 'remote',
        transport: 'http',
        url: 'https://mcp.example.com/mcp',
        headers: { Authorization: 'Bearer x' },
      },
      { name: 'typed', transport: 'http', url: 'http://127.0.0.1:9000/mcp', headers: {} },
      { name: 'claude', transport: 'stdio', command: 'uvx', args: [], env: {} },
    ]);
    expect(parsed.warnings).toEqual(['mcpServers.claude.foo: unknown key, ignored']);
  });

  it('names the server and field of every problem', () => {
    expect(problemsOf({ servers: {} })).toEqual(['must be an object with an "mcpServers" object']);
    expect(
      problemsOf({
        mcpServers: {
          both: { command: 'a', url: 'http://x' },
          neither: { args: [] },
          badArgs: { command: 'a', args: 'x y', env: { A: 1 } },
          emptyCommand: { command: ' ' },
          badUrl: { url: 'not a url' },
          ftp: { url: 'ftp://example.com' },
          sse: { type: 'sse', url: 'http://x/sse' },
          'has space': { command: 'a' },
          double__underscore: { command: 'a' },
          mismatch: { type: 'stdio', url: 'http://x' },
          notObject: 'node server.js',
        },
      }),
    ).toEqual([
      'mcpServers.both: give exactly one of "command" (stdio) or "url" (Streamable HTTP)',
      'mcpServers.neither: give exactly one of "command" (stdio) or "url" (Streamable HTTP)',
      'mcpServers.badArgs.args: must be an array of strings',
      'mcpServers.badArgs.env.A: must be a string',
      'mcpServers.emptyCommand.command: must be a non-empty string',
      'mcpServers.badUrl.url: must be an absolute http(s) URL',
      'mcpServers.ftp.url: must be http(s)',
      'mcpServers.sse.type: the deprecated SSE transport is not supported; use a Streamable HTTP "url"',
      'mcpServers.has space: the server name must be 1-32 letters, digits, "-" or single "_" (it prefixes tool names)',
      'mcpServers.double__underscore: the server name must be 1-32 letters, digits, "-" or single "_" (it prefixes tool names)',
      'mcpServers.mismatch: type "stdio" does not match "url"',
      'mcpServers.notObject: must be an object with "command" (stdio) or "url" (Streamable HTTP)',
    ]);
  });

  describe('files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'agentq-mcp-config-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('reads a file, and says which file is missing or not JSON', async () => {
      const good = path.join(dir, 'good.json');
      await writeFile(good, JSON.stringify({ mcpServers: { a: { command: 'node' } } }));
      expect((await loadMcpConfig(good)).servers).toHaveLength(1);
      const bad = path.join(dir, 'bad.json');
      await writeFile(bad, '{"mcpServers": {');
      await expect(loadMcpConfig(bad)).rejects.toThrow(
        `invalid MCP configuration in ${bad}:\n  is not valid JSON`,
      );
      await expect(loadMcpConfig(path.join(dir, 'missing.json'))).rejects.toThrow(
        /missing\.json:\n {2}cannot be read/,
      );
    });
  });
});

describe('annotation → policy', () => {
  it.each([
    [{ readOnlyHint: true }, 'safe'],
    [{ readOnlyHint: true, destructiveHint: true }, 'safe'],
    [{ readOnlyHint: false, idempotentHint: true, destructiveHint: true }, 'retry_with_key'],
    [{ destructiveHint: false }, 'ask'],
    [{ destructiveHint: false, idempotentHint: false }, 'ask'],
    [{ destructiveHint: true }, 'never'],
    [{ title: 'no hints' }, 'never'],
    [undefined, 'never'],
  ] as const)('trusted %j → %s', (annotations, policy) => {
    expect(policyFor(annotations, true)).toBe(policy);
  });

  it('believes nothing from untrusted servers', () => {
    expect(policyFor({ readOnlyHint: true }, false)).toBe('never');
    expect(policyFor({ idempotentHint: true }, false)).toBe('never');
  });
});

describe('result mapping and names', () => {
  it('joins text, keeps structuredContent and isError, and summarises other content', () => {
    expect(
      mapCallResult({
        content: [
          { type: 'text', text: 'first' },
          { type: 'image', data: 'aGVsbG8=', mimeType: 'image/png' },
          { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
          { type: 'resource', resource: { uri: 'file:///a.txt', mimeType: 'text/plain', text: 'inside' } },
          { type: 'resource', resource: { uri: 'file:///b.bin', blob: 'AAAAAA==' } },
          { type: 'resource_link', uri: 'file:///c', name: 'c' },
        ],
        structuredContent: { ok: true },
        isError: true,
      }),
    ).toEqual({
      content:
        'first\n[image: image/png, 5 bytes, not shown]\n[audio: audio/wav, 3 bytes, not shown]\n' +
        '[resource file:///a.txt (text/plain)]\ninside\n[resource file:///b.bin: binary, 4 bytes, not shown]\n' +
        '[resource link: c <file:///c>]',
      structured: { ok: true },
      isError: true,
    });
    expect(mapCallResult({ content: [], structuredContent: { n: 1 } })).toEqual({
      content: '{"n":1}',
      structured: { n: 1 },
    });
    expect(mapCallResult({ toolResult: { legacy: 1 } })).toEqual({
      content: '{"legacy":1}',
      structured: { legacy: 1 },
    });
  });

  it('builds <server>__<tool> names models accept', () => {
    expect(mcpToolName('files', 'read_text_file')).toBe('files__read_text_file');
    expect(mcpToolName('gh', 'repo.get/issue x')).toBe('gh__repo_get_issue_x');
    const long = mcpToolName('server', 'a'.repeat(80));
    expect(long).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(long).not.toBe(mcpToolName('server', `${'a'.repeat(79)}b`));
  });
});
