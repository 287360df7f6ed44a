// One long-lived connection to one MCP server. Connections outlive jobs (spawning a server per job would be
// slow and lose its state); when the server dies or a call fails at the transport level, the connection is
// dropped and the next use opens a fresh one.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, type Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { messageOf } from '../result.ts';
import type { McpServerConfig } from './config.ts';

export type CallToolResponse = Awaited<ReturnType<Client['callTool']>>;

export interface McpConnectionOptions {
  /** Limit of one MCP request (TOOL_TIMEOUT_MS); a call's signal applies as well. */
  requestTimeoutMs: number;
  clientInfo?: { name: string; version: string };
  onEvent?: (event: string, fields: Record<string, unknown>) => void;
}

const MAX_PAGES = 100;
const STDERR_TAIL = 2000;

/** Whether an error means the connection itself is unusable (as opposed to an error answer from the server). */
function connectionLost(error: unknown): boolean {
  if (error instanceof McpError)
    return error.code === ErrorCode.ConnectionClosed || error.code === ErrorCode.RequestTimeout;
  return true; // transport errors: fetch failures, HTTP status errors, broken pipes
}

export class McpConnection {
  readonly #options: McpConnectionOptions;
  #client: Client | undefined;
  #pid: number | undefined;
  #connecting: Promise<Client> | undefined;
  #closed = false;
  // The last of the server's stderr: what it said before dying is usually the explanation.
  #stderr = '';

  constructor(
    readonly config: McpServerConfig,
    options: McpConnectionOptions,
  ) {
    this.#options = options;
  }

  get name(): string {
    return this.config.name;
  }

  get connected(): boolean {
    return this.#client !== undefined;
  }

  /** Process id of a stdio server while connected. */
  get pid(): number | undefined {
    return this.#client ? this.#pid : undefined;
  }

  /** The live client, connecting first when there is none. */
  client(): Promise<Client> {
    if (this.#closed) return Promise.reject(new Error(`MCP server "${this.name}" was shut down`));
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<Client> {
    const transport = this.#transport();
    const client = new Client(this.#options.clientInfo ?? { name: 'agentq', version: '1.0.0' }, {
      capabilities: {},
    });
    client.onclose = () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#options.onEvent?.('mcp.disconnected', { server: this.name });
    };
    try {
      await client.connect(transport, { timeout: this.#options.requestTimeoutMs });
    } catch (error) {
      await transport.close().catch(() => {});
      const said = this.#stderr.trim() ? `; its stderr ended with: ${this.#stderr.trim().slice(-500)}` : '';
      throw new Error(`could not connect to MCP server "${this.name}": ${messageOf(error)}${said}`, {
        cause: error,
      });
    }
    if (this.#closed) {
      await client.close().catch(() => {});
      throw new Error(`MCP server "${this.name}" was shut down`);
    }
    this.#pid = transport instanceof StdioClientTransport ? (transport.pid ?? undefined) : undefined;
    this.#client = client;
    this.#options.onEvent?.('mcp.connected', { server: this.name, pid: this.#pid });
    return client;
  }

  #transport(): StdioClientTransport | StreamableHTTPClientTransport {
    const config = this.config;
    if (config.transport === 'http') {
      return new StreamableHTTPClientTransport(new URL(config.url), {
        requestInit: { headers: config.headers },
      });
    }
    const transport = new StdioClientTransport({
      command: config.command,
      args: config.args,
      env: config.env,
      ...(config.cwd ? { cwd: config.cwd } : {}),
      stderr: 'pipe',
    });
    // Read (and keep the tail of) stderr: an unread pipe fills up and blocks the server.
    transport.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    return transport;
  }

  async #drop(client: Client): Promise<void> {
    if (this.#client === client) this.#client = undefined;
    await client.close().catch(() => {});
  }

  /** Every tool of the server, following nextCursor through all pages. */
  async listTools(): Promise<McpTool[]> {
    const client = await this.client();
    if (!client.getServerCapabilities()?.tools) return [];
    const tools: McpTool[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await client.listTools(cursor === undefined ? {} : { cursor }, {
        timeout: this.#options.requestTimeoutMs,
      });
      tools.push(...result.tools);
      cursor = result.nextCursor;
      if (cursor === undefined) return tools;
      if (seen.has(cursor))
        throw new Error(`MCP server "${this.name}" repeated the tools/list cursor ${cursor}`);
      seen.add(cursor);
    }
    throw new Error(`MCP server "${this.name}" listed more than ${MAX_PAGES} pages of tools`);
  }

  async callTool(
    name: string,
    args: Record<string, unknown>,
    call: { signal: AbortSignal; meta: Record<string, unknown> },
  ): Promise<CallToolResponse> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.client();
      try {
        return await client.callTool({ name, arguments: args, _meta: call.meta }, undefined, {
          signal: call.signal,
          timeout: this.#options.requestTimeoutMs,
          resetTimeoutOnProgress: true,
        });
      } catch (error) {
        if (call.signal.aborted) throw error;
        if (connectionLost(error)) await this.#drop(client);
        // A Streamable HTTP server that no longer knows our session answers 404 without running anything
        // (the spec requires it), so one immediate retry on a fresh session cannot run the tool twice.
        if (attempt === 1 && error instanceof StreamableHTTPError && error.code === 404) continue;
        throw error;
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    if (!client) return;
    const transport = client.transport;
    if (transport instanceof StreamableHTTPClientTransport)
      await transport.terminateSession().catch(() => {});
    await client.close().catch(() => {});
  }
}
