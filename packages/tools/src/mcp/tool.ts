// An MCP server's tool as an agentq Tool, named `<server>__<tool>`.
import { createHash } from 'node:crypto';
import type { Tool, ToolResult } from '@agentq/agent';
import { ErrorCode, McpError, type Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { errorResult } from '../result.ts';
import type { McpConnection } from './connection.ts';
import { policyFor } from './policy.ts';
import { mapCallResult } from './result.ts';

/** Where the call's idempotency key travels in the request's _meta, for servers that deduplicate. */
export const IDEMPOTENCY_META_KEY = 'io.agentq/idempotency-key';

// Protocol errors the model caused (bad arguments, a tool that is gone): repeating the call cannot help.
const MODEL_FIXABLE: ReadonlySet<number> = new Set([
  ErrorCode.InvalidParams,
  ErrorCode.MethodNotFound,
  ErrorCode.InvalidRequest,
]);

/** `<server>__<tool>`, limited to what model APIs accept in a tool name ([A-Za-z0-9_-], at most 64). */
export function mcpToolName(server: string, tool: string): string {
  const name = `${server}__${tool.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  if (name.length <= 64) return name;
  const hash = createHash('sha256').update(tool).digest('hex').slice(0, 8);
  return `${name.slice(0, 55)}_${hash}`;
}

export function adaptMcpTool(connection: McpConnection, tool: McpTool, trusted: boolean): Tool {
  const name = mcpToolName(connection.name, tool.name);
  const about = tool.description?.trim() || tool.annotations?.title || tool.title || tool.name;
  return {
    name,
    description: `${about}\n(Tool "${tool.name}" of MCP server "${connection.name}".)`,
    inputSchema: tool.inputSchema,
    policy: policyFor(tool.annotations, trusted),
    async execute(input, ctx): Promise<ToolResult> {
      try {
        const response = await connection.callTool(tool.name, (input ?? {}) as Record<string, unknown>, {
          signal: ctx.signal,
          meta: { [IDEMPOTENCY_META_KEY]: ctx.idempotencyKey },
        });
        return mapCallResult(response);
      } catch (error) {
        if (error instanceof McpError && MODEL_FIXABLE.has(error.code))
          return errorResult(`${name}: ${error.message}`);
        throw error;
      }
    },
  };
}
