// read_file and write_file over the tenant's workspace directory (see workspace.ts for the confinement).
import { randomUUID } from 'node:crypto';
import { open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Tool, ToolResult } from '@agentq/agent';
import { errorResult, utf8Prefix } from '../result.ts';
import { PathRefused, relativeSegments, resolveExisting, resolveForWrite, tenantRoot } from './workspace.ts';

export interface FileToolsOptions {
  /** WORKSPACE_DIR; each tenant gets `<workspaceDir>/<tenantId>/`. */
  workspaceDir: string;
  /** What read_file returns at most (default 256 KiB); longer files are cut with a note. */
  maxReadBytes?: number;
  /** Largest content write_file accepts (default 1 MiB). */
  maxWriteBytes?: number;
}

const PATH_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: 1024,
  description: 'Path relative to the workspace, with "/" between directories, e.g. "reports/summary.md".',
};

// Errors the model can fix by choosing another path; anything else is thrown for the loop to retry.
function fileProblem(error: unknown, shown: string): ToolResult | undefined {
  if (error instanceof PathRefused) return errorResult(error.message);
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return errorResult(`"${shown}" does not exist`);
  if (code === 'ENOTDIR') return errorResult(`a parent of "${shown}" is a file, not a directory`);
  if (code === 'EISDIR') return errorResult(`"${shown}" is a directory`);
  if (code === 'ENAMETOOLONG') return errorResult(`"${shown}" is too long`);
  return undefined;
}

export function readFileTool(options: FileToolsOptions): Tool {
  const max = options.maxReadBytes ?? 256 * 1024;
  return {
    name: 'read_file',
    description:
      'Read a UTF-8 text file from your workspace (a private directory that persists across your jobs). ' +
      `Returns the text, cut after ${max} bytes. Reading a directory lists its entries (directories end in "/").`,
    inputSchema: {
      type: 'object',
      properties: { path: PATH_SCHEMA },
      required: ['path'],
      additionalProperties: false,
    },
    policy: 'safe',
    async execute(raw, ctx): Promise<ToolResult> {
      const shown = (raw as { path: string }).path;
      try {
        const root = await tenantRoot(options.workspaceDir, ctx.tenantId);
        const real = await resolveExisting(root, relativeSegments(shown));
        const file = await open(real, 'r');
        try {
          const stat = await file.stat();
          if (stat.isDirectory()) {
            const entries = await readdir(real, { withFileTypes: true });
            const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort();
            return {
              content: names.join('\n') || '(empty directory)',
              structured: { path: shown, entries: names },
            };
          }
          const buffer = Buffer.alloc(Math.min(stat.size, max + 4));
          const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
          const bytes = buffer.subarray(0, bytesRead);
          if (bytes.subarray(0, 8192).includes(0)) {
            return errorResult(
              `"${shown}" is a binary file (${stat.size} bytes); read_file only returns text`,
            );
          }
          const truncated = stat.size > max;
          const text = utf8Prefix(bytes, max);
          const note = truncated ? `\n\n[truncated: showing the first ${max} of ${stat.size} bytes]` : '';
          return { content: `${text}${note}`, structured: { path: shown, bytes: stat.size, truncated } };
        } finally {
          await file.close();
        }
      } catch (error) {
        const problem = fileProblem(error, shown);
        if (problem) return problem;
        throw error;
      }
    },
  };
}

export function writeFileTool(options: FileToolsOptions): Tool {
  const max = options.maxWriteBytes ?? 1024 * 1024;
  return {
    name: 'write_file',
    description:
      'Create or replace a UTF-8 text file in your workspace (a private directory that persists across your ' +
      `jobs), creating missing directories. Replaces the whole file; at most ${max} bytes.`,
    inputSchema: {
      type: 'object',
      properties: {
        path: PATH_SCHEMA,
        content: { type: 'string', description: 'The complete new file content.' },
      },
      required: ['path', 'content'],
      additionalProperties: false,
    },
    // Not 'safe' (it changes state, so its start and outcome are recorded like any side effect), but
    // re-runnable: the recorded input is replayed, and writing the same bytes to the same path again leaves
    // the same file. The write is atomic (temp file + rename), so a crash never leaves half a file.
    policy: 'retry_with_key',
    async execute(raw, ctx): Promise<ToolResult> {
      const { path: shown, content } = raw as { path: string; content: string };
      const bytes = Buffer.byteLength(content);
      if (bytes > max) return errorResult(`content is ${bytes} bytes; write_file accepts at most ${max}`);
      try {
        const root = await tenantRoot(options.workspaceDir, ctx.tenantId);
        const target = await resolveForWrite(root, relativeSegments(shown));
        const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`);
        try {
          await writeFile(temp, content, { flag: 'wx', signal: ctx.signal });
          await rename(temp, target);
        } catch (error) {
          await rm(temp, { force: true });
          throw error;
        }
        return { content: `wrote ${bytes} bytes to ${shown}`, structured: { path: shown, bytes } };
      } catch (error) {
        const problem = fileProblem(error, shown);
        if (problem) return problem;
        throw error;
      }
    },
  };
}
