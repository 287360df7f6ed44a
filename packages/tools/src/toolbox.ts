// Everything a process needs about tools, in one object: built-ins, MCP tools and extra tools in one
// registry filtered by ALLOWED_TOOLS, per-job selection, submit-time checks, and shutdown.
import type { Tool, ToolSpec } from '@agentq/agent';
import { createBuiltinTools } from './builtin/index.ts';
import { loadMcpConfig } from './mcp/config.ts';
import { McpManager } from './mcp/manager.ts';
import type { ToolboxOptions } from './options.ts';
import { type ToolCheck, ToolRegistry } from './registry.ts';

export interface Toolbox {
  /** The tools of one job: the named ones, or every allowed tool. Throws ToolSelectionError for bad names. */
  tools(names?: readonly string[]): ReadonlyMap<string, Tool>;
  /** Which names a job may not use, so a submit can be refused with a 4xx naming them. */
  check(names: readonly string[]): ToolCheck;
  /** Names of every tool jobs may use. */
  names(): string[];
  specs(names?: readonly string[]): ToolSpec[];
  readonly registry: ToolRegistry;
  /** Undefined without MCP_CONFIG or with connectMcp: false. */
  readonly mcp: McpManager | undefined;
  close(): Promise<void>;
}

export async function createToolbox(options: ToolboxOptions): Promise<Toolbox> {
  const config = options.mcpConfigPath ? await loadMcpConfig(options.mcpConfigPath) : undefined;
  for (const warning of config?.warnings ?? []) options.onWarning?.(`MCP config: ${warning}`);
  const connect = options.connectMcp ?? true;
  const mcp =
    config && connect && config.servers.length > 0
      ? await McpManager.start({
          servers: config.servers,
          requestTimeoutMs: options.toolTimeoutMs ?? 60_000,
          ...(options.mcpTrustedServers ? { trusted: options.mcpTrustedServers } : {}),
          ...(options.onWarning ? { onWarning: options.onWarning } : {}),
          ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        })
      : undefined;
  try {
    const registry = new ToolRegistry(
      [...createBuiltinTools(options), ...(options.extraTools ?? []), ...(mcp?.tools() ?? [])],
      {
        ...(options.allowedTools ? { allowed: options.allowedTools } : {}),
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
        ...(config && !connect ? { knownPatterns: config.servers.map((s) => `${s.name}__*`) } : {}),
      },
    );
    return {
      tools: (names) => registry.select(names),
      check: (names) => registry.check(names),
      names: () => registry.names(),
      specs: (names) => registry.specs(names),
      registry,
      mcp,
      close: async () => {
        await mcp?.close();
      },
    };
  } catch (error) {
    await mcp?.close();
    throw error;
  }
}
