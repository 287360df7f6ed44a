// The MCP_CONFIG file, in the format most MCP clients share:
//   {"mcpServers": {"files": {"command": "node", "args": ["server.js"], "env": {...}},
//                   "remote": {"url": "https://mcp.example.com/mcp", "headers": {...}}}}
// Validated up front so a typo fails the worker at start with the server and field named, not a job later.
import { readFile } from 'node:fs/promises';

export type McpServerConfig =
  | {
      name: string;
      transport: 'stdio';
      command: string;
      args: string[];
      env: Record<string, string>;
      cwd?: string;
    }
  | { name: string; transport: 'http'; url: string; headers: Record<string, string> };

export class McpConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid MCP configuration in ${source}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'McpConfigError';
  }
}

export interface ParsedMcpConfig {
  servers: McpServerConfig[];
  /** Things that are accepted but probably not what was meant (ignored keys). */
  warnings: string[];
}

const KNOWN_KEYS = new Set([
  'type',
  'transport',
  'command',
  'args',
  'env',
  'cwd',
  'url',
  'headers',
  'disabled',
]);
// Keys other clients write that mean nothing here but are not mistakes.
const FOREIGN_KEYS = new Set([
  'description',
  'autoApprove',
  'alwaysAllow',
  'timeout',
  'disabledTools',
  'name',
]);
const HTTP_TYPES = new Set(['http', 'streamable-http', 'streamableHttp', 'streamable_http']);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(value: unknown, at: string, problems: string[]): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) {
    problems.push(`${at}: must be an object of strings`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else problems.push(`${at}.${k}: must be a string`);
  }
  return out;
}

function parseServer(
  name: string,
  raw: unknown,
  problems: string[],
  warnings: string[],
): McpServerConfig | undefined {
  const at = `mcpServers.${name}`;
  // The name prefixes tool names (<server>__<tool>), which models accept only as [A-Za-z0-9_-].
  if (!/^[A-Za-z0-9-]+(_[A-Za-z0-9-]+)*$/.test(name) || name.length > 32) {
    problems.push(
      `${at}: the server name must be 1-32 letters, digits, "-" or single "_" (it prefixes tool names)`,
    );
  }
  if (!isRecord(raw)) {
    problems.push(`${at}: must be an object with "command" (stdio) or "url" (Streamable HTTP)`);
    return undefined;
  }
  if (raw.disabled === true) return undefined;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key) && !FOREIGN_KEYS.has(key)) warnings.push(`${at}.${key}: unknown key, ignored`);
  }
  const type = raw.type ?? raw.transport;
  if (type === 'sse') {
    problems.push(`${at}.type: the deprecated SSE transport is not supported; use a Streamable HTTP "url"`);
    return undefined;
  }
  if (type !== undefined && type !== 'stdio' && !(typeof type === 'string' && HTTP_TYPES.has(type))) {
    problems.push(`${at}.type: must be "stdio" or "http", not ${JSON.stringify(type)}`);
    return undefined;
  }
  const hasCommand = raw.command !== undefined;
  const hasUrl = raw.url !== undefined;
  if (hasCommand === hasUrl) {
    problems.push(`${at}: give exactly one of "command" (stdio) or "url" (Streamable HTTP)`);
    return undefined;
  }
  if ((type === 'stdio' && !hasCommand) || (type !== undefined && type !== 'stdio' && !hasUrl)) {
    problems.push(`${at}: type ${JSON.stringify(type)} does not match ${hasCommand ? '"command"' : '"url"'}`);
    return undefined;
  }
  const before = problems.length;
  if (hasCommand) {
    if (typeof raw.command !== 'string' || raw.command.trim() === '')
      problems.push(`${at}.command: must be a non-empty string`);
    if (
      raw.args !== undefined &&
      !(Array.isArray(raw.args) && raw.args.every((a) => typeof a === 'string'))
    ) {
      problems.push(`${at}.args: must be an array of strings`);
    }
    if (raw.cwd !== undefined && typeof raw.cwd !== 'string') problems.push(`${at}.cwd: must be a string`);
    const env = stringMap(raw.env, `${at}.env`, problems);
    if (problems.length > before) return undefined;
    return {
      name,
      transport: 'stdio',
      command: raw.command as string,
      args: (raw.args as string[] | undefined) ?? [],
      env,
      ...(typeof raw.cwd === 'string' ? { cwd: raw.cwd } : {}),
    };
  }
  let url: URL | undefined;
  try {
    url = new URL(String(raw.url));
  } catch {
    problems.push(`${at}.url: must be an absolute http(s) URL`);
  }
  if (url && url.protocol !== 'http:' && url.protocol !== 'https:')
    problems.push(`${at}.url: must be http(s)`);
  const headers = stringMap(raw.headers, `${at}.headers`, problems);
  if (problems.length > before || !url) return undefined;
  return { name, transport: 'http', url: url.href, headers };
}

/** Validates a parsed MCP config; throws McpConfigError listing every problem. */
export function parseMcpConfig(raw: unknown, source = 'MCP config'): ParsedMcpConfig {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!isRecord(raw) || !isRecord(raw.mcpServers)) {
    throw new McpConfigError(source, ['must be an object with an "mcpServers" object']);
  }
  const servers: McpServerConfig[] = [];
  for (const [name, entry] of Object.entries(raw.mcpServers)) {
    const server = parseServer(name, entry, problems, warnings);
    if (server) servers.push(server);
  }
  if (problems.length > 0) throw new McpConfigError(source, problems);
  return { servers, warnings };
}

/** Reads and validates the MCP_CONFIG file. */
export async function loadMcpConfig(path: string): Promise<ParsedMcpConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new McpConfigError(path, [`cannot be read: ${(error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new McpConfigError(path, [`is not valid JSON: ${(error as Error).message}`]);
  }
  return parseMcpConfig(raw, path);
}
