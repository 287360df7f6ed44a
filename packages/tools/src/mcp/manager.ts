// The MCP servers of a deployment: created once per worker process, connected at start (a broken server
// fails the start with its name, rather than jobs later), kept alive across jobs, closed at shutdown.
import type { Tool } from '@agentq/agent';
import { messageOf } from '../result.ts';
import type { McpServerConfig } from './config.ts';
import { McpConnection, type McpConnectionOptions } from './connection.ts';
import { adaptMcpTool } from './tool.ts';

export interface McpManagerOptions extends McpConnectionOptions {
  servers: readonly McpServerConfig[];
  /** MCP_TRUSTED_SERVERS: servers whose tool annotations decide the retry policy. */
  trusted?: readonly string[];
  /** Told about tools left out (name clashes). */
  onWarning?: (message: string) => void;
}

export interface McpServerStatus {
  name: string;
  connected: boolean;
  pid: number | undefined;
  tools: number;
}

export class McpStartError extends Error {
  constructor(readonly failures: { server: string; error: string }[]) {
    super(`MCP servers failed to start:\n${failures.map((f) => `  ${f.server}: ${f.error}`).join('\n')}`);
    this.name = 'McpStartError';
  }
}

export class McpManager {
  readonly #connections: McpConnection[];
  readonly #tools: Tool[];
  readonly #counts: Map<string, number>;

  private constructor(connections: McpConnection[], tools: Tool[], counts: Map<string, number>) {
    this.#connections = connections;
    this.#tools = tools;
    this.#counts = counts;
  }

  /** Connects to every server and lists its tools; throws McpStartError naming each server that failed. */
  static async start(options: McpManagerOptions): Promise<McpManager> {
    const trusted = new Set(options.trusted ?? []);
    const connections = options.servers.map((s) => new McpConnection(s, options));
    const listed = await Promise.allSettled(connections.map((c) => c.listTools()));
    const failures = listed.flatMap((r, i) =>
      r.status === 'rejected' ? [{ server: connections[i]!.name, error: messageOf(r.reason) }] : [],
    );
    if (failures.length > 0) {
      await Promise.all(connections.map((c) => c.close()));
      throw new McpStartError(failures);
    }
    const tools: Tool[] = [];
    const names = new Set<string>();
    const counts = new Map<string, number>();
    for (const [i, result] of listed.entries()) {
      const connection = connections[i]!;
      for (const mcpTool of result.status === 'fulfilled' ? result.value : []) {
        const tool = adaptMcpTool(connection, mcpTool, trusted.has(connection.name));
        if (names.has(tool.name)) {
          options.onWarning?.(
            `MCP tool "${mcpTool.name}" of "${connection.name}" left out: ${tool.name} is taken`,
          );
          continue;
        }
        names.add(tool.name);
        tools.push(tool);
        counts.set(connection.name, (counts.get(connection.name) ?? 0) + 1);
      }
    }
    return new McpManager(connections, tools, counts);
  }

  /** Every tool of every server (not yet filtered by ALLOWED_TOOLS or validated; the registry does both). */
  tools(): Tool[] {
    return [...this.#tools];
  }

  status(): McpServerStatus[] {
    return this.#connections.map((c) => ({
      name: c.name,
      connected: c.connected,
      pid: c.pid,
      tools: this.#counts.get(c.name) ?? 0,
    }));
  }

  async close(): Promise<void> {
    await Promise.all(this.#connections.map((c) => c.close()));
  }
}
