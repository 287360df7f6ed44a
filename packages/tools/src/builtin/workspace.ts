// Confinement of read_file/write_file to one directory per tenant. The model supplies relative paths; nothing
// it writes may land outside `<workspace>/<tenant>/`, whether through "..", an absolute path, or a symlink that
// points out. Symlinks inside the tree that stay inside are followed. (No agent-controlled process runs in the
// workspace, so nothing can swap a directory for a symlink between the check and the write.)
import { createHash } from 'node:crypto';
import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';

/** The path is not acceptable; the model should pick another one. */
export class PathRefused extends Error {
  override name = 'PathRefused';
}

// Tenant ids are ours, not the model's, but they still become a directory name: anything unusual is hashed.
function tenantSegment(tenantId: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(tenantId)) return tenantId;
  return `t_${createHash('sha256').update(tenantId).digest('hex').slice(0, 32)}`;
}

/** The tenant's directory (created on first use), as a real path. */
export async function tenantRoot(workspaceDir: string, tenantId: string): Promise<string> {
  const dir = path.join(path.resolve(workspaceDir), tenantSegment(tenantId));
  await mkdir(dir, { recursive: true });
  return realpath(dir);
}

/** Splits a model-supplied relative path into its segments, refusing anything that could climb out. */
export function relativeSegments(input: string): string[] {
  if (input.includes('\0')) throw new PathRefused('the path contains a NUL character');
  if (input.includes('\\')) throw new PathRefused('use "/" to separate directories, not "\\"');
  if (path.posix.isAbsolute(input) || /^[A-Za-z]:/.test(input) || input.startsWith('~')) {
    throw new PathRefused(
      `"${input}" is absolute; give a path relative to the workspace, e.g. "notes/todo.txt"`,
    );
  }
  const segments = input.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new PathRefused(`"${input}" contains "..", which is not allowed`);
  if (segments.length === 0) throw new PathRefused('the path is empty');
  if (segments.some((s) => Buffer.byteLength(s) > 255))
    throw new PathRefused('a path segment is longer than 255 bytes');
  return segments;
}

const inside = (root: string, candidate: string) =>
  candidate === root || candidate.startsWith(`${root}${path.sep}`);

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Follows a symlink, refusing it when its target is missing or outside the root. */
async function followInside(root: string, link: string, shown: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(link);
  } catch {
    throw new PathRefused(`"${shown}" is a symlink to something that does not exist`);
  }
  if (!inside(root, real)) throw new PathRefused(`"${shown}" is a symlink that points outside the workspace`);
  return real;
}

/** Real path of an existing file or directory inside the root. Throws ENOENT errors as they are. */
export async function resolveExisting(root: string, segments: string[]): Promise<string> {
  const real = await realpath(path.join(root, ...segments));
  if (!inside(root, real))
    throw new PathRefused(`"${segments.join('/')}" resolves to a place outside the workspace`);
  return real;
}

/**
 * Where a write of `segments` goes: walks the parent directories one at a time (creating missing ones) so a
 * symlink pointing out is refused before anything is created behind it. Returns the real target path.
 */
export async function resolveForWrite(root: string, segments: string[]): Promise<string> {
  let dir = root;
  for (const [i, segment] of segments.slice(0, -1).entries()) {
    const shown = segments.slice(0, i + 1).join('/');
    const next = path.join(dir, segment);
    const stat = await lstatOrUndefined(next);
    if (!stat) {
      await mkdir(next).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      dir = next;
    } else if (stat.isSymbolicLink()) {
      dir = await followInside(root, next, shown);
      if (!(await lstat(dir)).isDirectory()) throw new PathRefused(`"${shown}" is not a directory`);
    } else if (stat.isDirectory()) {
      dir = next;
    } else {
      throw new PathRefused(`"${shown}" is a file, not a directory`);
    }
  }
  const target = path.join(dir, segments.at(-1)!);
  const stat = await lstatOrUndefined(target);
  if (stat?.isSymbolicLink()) return followInside(root, target, segments.join('/'));
  if (stat?.isDirectory()) throw new PathRefused(`"${segments.join('/')}" is a directory`);
  return target;
}
