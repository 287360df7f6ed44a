// The built-in tools a deployment offers, depending on its settings.
import type { Tool } from '@agentq/agent';
import { withValidation } from '../validation.ts';
import { currentTimeTool } from './current-time.ts';
import { readFileTool, writeFileTool } from './files.ts';
import { httpRequestTool } from './http-request.ts';
import { runPythonTool } from './run-python.ts';
import { type SearchKeys, searchProviderFor } from './search-providers.ts';
import { webSearchTool } from './web-search.ts';

export interface BuiltinToolsOptions extends SearchKeys {
  /** HTTP_TOOL_ALLOW_PRIVATE (default false). */
  httpAllowPrivate?: boolean;
  /** HTTP_TOOL_MAX_RESPONSE_BYTES (default 100000). */
  httpMaxResponseBytes?: number;
  /** WORKSPACE_DIR; read_file/write_file are offered only when it is set. */
  workspaceDir?: string;
  /** RUN_PYTHON === 'on' (default off). */
  runPython?: boolean;
  /** PYTHON_BIN (default python3). */
  pythonBin?: string;
  /** RUN_PYTHON_MEMORY_MB (default 512). */
  runPythonMemoryMb?: number;
  /** TOOL_TIMEOUT_MS (default 60000): the limit of one HTTP request, search, or Python run. */
  toolTimeoutMs?: number;
}

/** The enabled built-ins, each validating its input. */
export function createBuiltinTools(options: BuiltinToolsOptions = {}): Tool[] {
  const timeoutMs = options.toolTimeoutMs ?? 60_000;
  const tools: Tool[] = [
    currentTimeTool(),
    httpRequestTool({
      allowPrivate: options.httpAllowPrivate ?? false,
      maxResponseBytes: options.httpMaxResponseBytes ?? 100_000,
      timeoutMs,
    }),
  ];
  if (options.workspaceDir) {
    tools.push(
      readFileTool({ workspaceDir: options.workspaceDir }),
      writeFileTool({ workspaceDir: options.workspaceDir }),
    );
  }
  if (options.runPython) {
    tools.push(
      runPythonTool({
        pythonBin: options.pythonBin ?? 'python3',
        memoryMb: options.runPythonMemoryMb ?? 512,
        timeoutMs,
      }),
    );
  }
  const search = searchProviderFor(options);
  if (search) tools.push(webSearchTool(search, { timeoutMs }));
  return tools.map((t) => withValidation(t));
}
