// What the toolbox needs from the deployment's settings. This package never reads process.env: the worker
// (or API) passes values from @agentq/config, most simply through toolboxOptionsFromSettings(config).
import type { Tool } from '@agentq/agent';
import type { BuiltinToolsOptions } from './builtin/index.ts';

export interface ToolboxOptions extends BuiltinToolsOptions {
  /** ALLOWED_TOOLS: names or `prefix*` patterns; undefined offers every available tool. */
  allowedTools?: readonly string[];
  /** MCP_CONFIG: path of the {"mcpServers": {...}} file. */
  mcpConfigPath?: string;
  /** MCP_TRUSTED_SERVERS */
  mcpTrustedServers?: readonly string[];
  /**
   * false in processes that only check job submissions (the API): the MCP config is validated but no server
   * is started, and any `<configured server>__<tool>` name counts as known. Default true.
   */
  connectMcp?: boolean;
  /** Tools from elsewhere (e.g. memory tools) that should obey ALLOWED_TOOLS and validation too. */
  extraTools?: readonly Tool[];
  onWarning?: (message: string) => void;
  onEvent?: (event: string, fields: Record<string, unknown>) => void;
}

/** The settings involved, as @agentq/config's Config names them (structural: no dependency on it). */
export interface ToolSettings {
  readonly ALLOWED_TOOLS?: string[] | undefined;
  readonly HTTP_TOOL_ALLOW_PRIVATE: boolean;
  readonly HTTP_TOOL_MAX_RESPONSE_BYTES: number;
  readonly WORKSPACE_DIR: string;
  readonly RUN_PYTHON: 'on' | 'off';
  readonly PYTHON_BIN: string;
  readonly RUN_PYTHON_MEMORY_MB: number;
  readonly BRAVE_API_KEY?: string | undefined;
  readonly TAVILY_API_KEY?: string | undefined;
  readonly SERPER_API_KEY?: string | undefined;
  readonly SEARCH_BASE_URL?: string | undefined;
  readonly MCP_CONFIG?: string | undefined;
  readonly MCP_TRUSTED_SERVERS?: string[] | undefined;
  readonly TOOL_TIMEOUT_MS: number;
}

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function toolboxOptionsFromSettings(settings: ToolSettings): ToolboxOptions {
  return defined({
    allowedTools: settings.ALLOWED_TOOLS,
    httpAllowPrivate: settings.HTTP_TOOL_ALLOW_PRIVATE,
    httpMaxResponseBytes: settings.HTTP_TOOL_MAX_RESPONSE_BYTES,
    workspaceDir: settings.WORKSPACE_DIR,
    runPython: settings.RUN_PYTHON === 'on',
    pythonBin: settings.PYTHON_BIN,
    runPythonMemoryMb: settings.RUN_PYTHON_MEMORY_MB,
    braveApiKey: settings.BRAVE_API_KEY,
    tavilyApiKey: settings.TAVILY_API_KEY,
    serperApiKey: settings.SERPER_API_KEY,
    searchBaseUrl: settings.SEARCH_BASE_URL,
    mcpConfigPath: settings.MCP_CONFIG,
    mcpTrustedServers: settings.MCP_TRUSTED_SERVERS,
    toolTimeoutMs: settings.TOOL_TIMEOUT_MS,
  });
}
