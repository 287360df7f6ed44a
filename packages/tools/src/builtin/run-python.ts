// run_python: lets the model compute things (data wrangling, arithmetic it should not do in its head).
import type { Tool, ToolResult } from '@agentq/agent';
import { errorResult, messageOf } from '../result.ts';
import { type PythonRun, runPython } from './python-process.ts';

export interface RunPythonOptions {
  /** PYTHON_BIN */
  pythonBin: string;
  /** RUN_PYTHON_MEMORY_MB */
  memoryMb: number;
  /** Wall-clock limit of one program (default 30 s). */
  timeoutMs?: number;
  /** Output kept per stream (default 64 KiB). */
  maxOutputBytes?: number;
  /** Largest file a program may write (default 64 MiB). */
  maxFileMb?: number;
}

function section(name: string, text: string, total: number): string {
  if (total === 0) return '';
  const kept = Buffer.byteLength(text);
  const cut = total > kept ? `\n[${name} truncated: ${total - kept} more bytes not shown]` : '';
  return `${name}:\n${text}${cut}\n`;
}

function describeRun(run: PythonRun, timeoutMs: number): string {
  const how = run.timedOut
    ? `killed after the ${timeoutMs} ms time limit`
    : run.exitCode === null
      ? `killed by ${run.signal}`
      : `exit code ${run.exitCode}`;
  const body = `${section('stdout', run.stdout, run.stdoutBytes)}${section('stderr', run.stderr, run.stderrBytes)}`;
  return `${how}\n${body || '(no output; print() what you want to see)\n'}`.trimEnd();
}

export function runPythonTool(options: RunPythonOptions): Tool {
  const limits = {
    timeoutMs: options.timeoutMs ?? 30_000,
    memoryMb: options.memoryMb,
    maxOutputBytes: options.maxOutputBytes ?? 64 * 1024,
    maxFileMb: options.maxFileMb ?? 64,
  };
  return {
    name: 'run_python',
    description:
      'Run a Python 3 program and get its exit code, stdout and stderr. Each call starts fresh in an empty ' +
      'temporary directory (nothing persists between calls; files you need must be written and read in the same ' +
      `program). Limits: ${limits.timeoutMs / 1000} s, ${limits.memoryMb} MiB of memory, ` +
      `${limits.maxOutputBytes} bytes of output per stream. Only the standard library is guaranteed. ` +
      'Use print() to return results.',
    inputSchema: {
      type: 'object',
      properties: {
        code: { type: 'string', minLength: 1, maxLength: 200_000, description: 'The program source.' },
      },
      required: ['code'],
      additionalProperties: false,
    },
    // Arbitrary code may have side effects (network calls, writes), so an interrupted run is never repeated
    // behind anyone's back.
    policy: 'never',
    // Longer than our own limit, so a slow program ends with its partial output rather than the loop's timeout.
    timeoutMs: limits.timeoutMs + 5_000,
    async execute(raw, ctx): Promise<ToolResult> {
      const { code } = raw as { code: string };
      let run: PythonRun;
      try {
        run = await runPython(options.pythonBin, code, limits, ctx.signal);
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        return errorResult(`python could not be started (${options.pythonBin}): ${messageOf(error)}`);
      }
      return {
        content: describeRun(run, limits.timeoutMs),
        structured: run,
        isError: run.timedOut || run.exitCode !== 0,
      };
    },
  };
}
