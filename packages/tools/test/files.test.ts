import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileTool, writeFileTool } from '../src/builtin/files.ts';
import { withValidation } from '../src/validation.ts';
import { ctx } from './support.ts';

let base: string;
let workspace: string;
let outside: string;
beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'agentq-files-'));
  workspace = path.join(base, 'workspace');
  outside = path.join(base, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'top secret');
});
afterAll(() => rm(base, { recursive: true, force: true }));

const read = (p: unknown, tenantId = 'tenant-a', maxReadBytes?: number) =>
  withValidation(
    readFileTool({ workspaceDir: workspace, ...(maxReadBytes ? { maxReadBytes } : {}) }),
  ).execute({ path: p }, ctx({ tenantId }));
const write = (p: string, content: string, tenantId = 'tenant-a', maxWriteBytes?: number) =>
  withValidation(
    writeFileTool({ workspaceDir: workspace, ...(maxWriteBytes ? { maxWriteBytes } : {}) }),
  ).execute({ path: p, content }, ctx({ tenantId }));

describe('read_file / write_file', () => {
  it('writes into the tenant directory, creating parents, and reads it back', async () => {
    expect(await write('notes/day 1/todo.md', '# Todo\n- ünïcode')).toEqual({
      content: 'wrote 18 bytes to notes/day 1/todo.md',
      structured: { path: 'notes/day 1/todo.md', bytes: 18 },
    });
    expect(await readFile(path.join(workspace, 'tenant-a', 'notes', 'day 1', 'todo.md'), 'utf8')).toBe(
      '# Todo\n- ünïcode',
    );
    expect((await read('notes/day 1/todo.md')).content).toBe('# Todo\n- ünïcode');
    expect((await read('./notes//day 1/todo.md')).content).toBe('# Todo\n- ünïcode');
  });

  it('keeps tenants apart', async () => {
    await write('mine.txt', 'tenant b data', 'tenant-b');
    expect(await read('mine.txt', 'tenant-a')).toEqual({
      content: '"mine.txt" does not exist',
      isError: true,
    });
    expect((await read('mine.txt', 'tenant-b')).content).toBe('tenant b data');
    // An odd tenant id becomes a hashed directory name, never a path.
    await write('x.txt', 'odd', '../../escape');
    const entries = await readdir(workspace);
    expect(entries.some((e) => e.startsWith('t_'))).toBe(true);
    expect(entries).not.toContain('escape');
  });

  it.each([
    ['../outside/secret.txt', 'contains ".."'],
    ['notes/../../outside/secret.txt', 'contains ".."'],
    ['/etc/passwd', 'is absolute'],
    ['C:/Windows/win.ini', 'is absolute'],
    ['~/secret', 'is absolute'],
    ['notes\\todo.md', 'use "/"'],
    ['a\0b', 'NUL'],
    ['.', 'the path is empty'],
  ])('refuses %s', async (p, why) => {
    const r = await read(p);
    expect(r.isError).toBe(true);
    expect(r.content).toContain(why);
    const w = await write(p, 'x');
    expect(w.isError).toBe(true);
    expect(w.content).toContain(why);
  });

  it('refuses symlinks that lead outside, for reading and for writing', async () => {
    const root = path.join(workspace, 'tenant-a');
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'leak.txt'));
    await symlink(outside, path.join(root, 'door'));
    expect(await read('leak.txt')).toMatchObject({
      isError: true,
      content: expect.stringContaining('outside the workspace'),
    });
    expect(await read('door/secret.txt')).toMatchObject({
      isError: true,
      content: expect.stringContaining('outside'),
    });
    expect(await write('leak.txt', 'overwrite')).toMatchObject({
      isError: true,
      content: expect.stringContaining('outside'),
    });
    expect(await write('door/new/file.txt', 'x')).toMatchObject({
      isError: true,
      content: '"door" is a symlink that points outside the workspace',
    });
    // Nothing was written or created behind the symlinks.
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('follows symlinks that stay inside the workspace', async () => {
    const root = path.join(workspace, 'tenant-a');
    await symlink(path.join(root, 'notes'), path.join(root, 'shortcut'));
    expect((await read('shortcut/day 1/todo.md')).content).toBe('# Todo\n- ünïcode');
    await write('shortcut/via-link.txt', 'through the link');
    expect(await readFile(path.join(root, 'notes', 'via-link.txt'), 'utf8')).toBe('through the link');
  });

  it('lists directories, and reports missing, binary and file-as-directory paths', async () => {
    expect((await read('notes')).content).toBe('day 1/\nvia-link.txt');
    expect(await read('nope/x.txt')).toEqual({ content: '"nope/x.txt" does not exist', isError: true });
    await writeFile(path.join(workspace, 'tenant-a', 'blob.bin'), Buffer.from([0x89, 0x50, 0, 1, 2]));
    expect(await read('blob.bin')).toMatchObject({
      isError: true,
      content: expect.stringContaining('binary file'),
    });
    expect(await write('notes/day 1/todo.md/child.txt', 'x')).toMatchObject({
      isError: true,
      content: '"notes/day 1/todo.md" is a file, not a directory',
    });
    expect(await write('notes', 'x')).toMatchObject({ isError: true, content: '"notes" is a directory' });
  });

  it('enforces size limits: long files are cut with a note, large writes refused', async () => {
    await write('long.txt', 'abcdefghij'.repeat(10));
    const r = await read('long.txt', 'tenant-a', 25);
    expect(r.content).toBe('abcdefghijabcdefghijabcde\n\n[truncated: showing the first 25 of 100 bytes]');
    expect(r.structured).toEqual({ path: 'long.txt', bytes: 100, truncated: true });
    expect(await write('huge.txt', 'x'.repeat(11), 'tenant-a', 10)).toEqual({
      content: 'content is 11 bytes; write_file accepts at most 10',
      isError: true,
    });
    expect(await read('huge.txt')).toMatchObject({ isError: true });
  });

  it('is idempotent: writing the same content twice leaves one identical file and no temp files', async () => {
    const first = await write('same.txt', 'v1');
    const second = await write('same.txt', 'v1');
    expect(second).toEqual(first);
    expect(await readFile(path.join(workspace, 'tenant-a', 'same.txt'), 'utf8')).toBe('v1');
    const names = await readdir(path.join(workspace, 'tenant-a'));
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('declares the retry policies it relies on', () => {
    expect(readFileTool({ workspaceDir: workspace }).policy).toBe('safe');
    expect(writeFileTool({ workspaceDir: workspace }).policy).toBe('retry_with_key');
  });
});
