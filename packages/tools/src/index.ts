// @agentq/tools: the built-in tools, the registry that validates and selects them, and MCP servers as tools.

export { currentTimeTool } from './builtin/current-time.ts';
export { type FileToolsOptions, readFileTool, writeFileTool } from './builtin/files.ts';
export { type HttpRequestOptions, httpRequestTool, TransientHttpStatus } from './builtin/http-request.ts';
export { type BuiltinToolsOptions, createBuiltinTools } from './builtin/index.ts';
export { type RunPythonOptions, runPythonTool } from './builtin/run-python.ts';
export {
  braveProvider,
  SearchHttpError,
  type SearchKeys,
  type SearchProvider,
  type SearchResult,
  searchProviderFor,
  serperProvider,
  tavilyProvider,
} from './builtin/search-providers.ts';
export { type WebSearchOptions, webSearchTool } from './builtin/web-search.ts';
export {
  loadMcpConfig,
  McpConfigError,
  type McpServerConfig,
  type ParsedMcpConfig,
  parseMcpConfig,
} from './mcp/config.ts';
export { McpConnection, type McpConnectionOptions } from './mcp/connection.ts';
export { McpManager, type McpManagerOptions, type McpServerStatus, McpStartError } from './mcp/manager.ts';
export { policyFor } from './mcp/policy.ts';
export { mapCallResult } from './mcp/result.ts';
export { adaptMcpTool, IDEMPOTENCY_META_KEY, mcpToolName } from './mcp/tool.ts';
export { type ToolboxOptions, type ToolSettings, toolboxOptionsFromSettings } from './options.ts';
export { type ToolCheck, ToolRegistry, type ToolRegistryOptions, ToolSelectionError } from './registry.ts';
export { createToolbox, type Toolbox } from './toolbox.ts';
export { compileInputSchema, describeErrors, withValidation } from './validation.ts';
