import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { runPythonTool } from '../src/builtin/run-python.ts';
import { withValidation } from '../src/validation.ts';
import { ctx } from './support.ts';

const python = (options: Partial<Parameters<typeof runPythonTool>[0]> = {}) =>
  withValidation(runPythonTool({ pythonBin: 'python3', memoryMb: 256, timeoutMs: 10_000, ...options }));
const run = (
  code: string,
  options: Partial<Parameters<typeof runPythonTool>[0]> = {},
  signal?: AbortSignal,
) => python(options).execute({ code }, ctx(signal ? { signal } : {}));

interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  stdoutBytes: number;
}
const structured = (r: { structured?: unknown }) => r.structured as Run;

// Running, as opposed to gone or a zombie waiting for init to reap it (Linux /proc).
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

afterEach(() => {
  delete process.env.AGENTQ_TEST_SECRET;
});

describe('run_python', () => {
  it('runs code and returns stdout, stderr and the exit code', async () => {
    const ok = await run('import sys\nprint(sum(range(101)))\nprint("warn", file=sys.stderr)');
    expect(ok.isError).toBe(false);
    expect(ok.content).toBe('exit code 0\nstdout:\n5050\n\nstderr:\nwarn');
    expect(structured(ok)).toMatchObject({
      exitCode: 0,
      stdout: '5050\n',
      stderr: 'warn\n',
      timedOut: false,
    });

    const failed = await run('raise ValueError("boom")');
    expect(failed.isError).toBe(true);
    expect(structured(failed).exitCode).toBe(1);
    expect(structured(failed).stderr).toContain('ValueError: boom');
    // The launcher replaced itself with the program: the traceback shows only the user's file.
    expect(structured(failed).stderr).toContain('File "/');
    expect(structured(failed).stderr).toContain('main.py", line 1');
    expect(structured(failed).stderr).not.toContain('execv');
  });

  it('passes none of the worker environment through', async () => {
    process.env.AGENTQ_TEST_SECRET = 'sk-do-not-leak';
    const r = await run('import os, json\nprint(json.dumps(dict(os.environ)))');
    const env = JSON.parse(structured(r).stdout) as Record<string, string>;
    expect(Object.values(env)).not.toContain('sk-do-not-leak');
    expect(Object.keys(env).sort()).toEqual(expect.arrayContaining(['HOME', 'LANG', 'PATH']));
    expect(
      Object.keys(env).filter((k) => !['HOME', 'LANG', 'LC_ALL', 'PATH', 'TMPDIR', 'LC_CTYPE'].includes(k)),
    ).toEqual([]);
  });

  it('starts each call in a fresh temporary directory that is removed afterwards', async () => {
    const first = await run('import os\nopen("state.txt", "w").write("x")\nprint(os.getcwd())');
    const second = await run('import os\nprint(os.path.exists("state.txt"), os.listdir("."))');
    expect(structured(second).stdout.trim()).toBe("False ['main.py']");
    const firstDir = structured(first).stdout.trim();
    expect(firstDir.startsWith(tmpdir())).toBe(true);
    expect((await readdir(tmpdir())).some((n) => firstDir.endsWith(n))).toBe(false);
  });

  it('limits memory', async () => {
    const r = await run('x = bytearray(1024 * 1024 * 1024)\nprint("allocated")', { memoryMb: 128 });
    expect(r.isError).toBe(true);
    expect(structured(r).stdout).toBe('');
    expect(structured(r).stderr).toContain('MemoryError');
    const fits = await run('x = bytearray(32 * 1024 * 1024)\nprint(len(x))', { memoryMb: 128 });
    expect(structured(fits).stdout.trim()).toBe(String(32 * 1024 * 1024));
  });

  it('kills the whole process group at the time limit and keeps the partial output', async () => {
    const code = [
      'import subprocess, time',
      'child = subprocess.Popen(["sleep", "60"])',
      'print(child.pid, flush=True)',
      'while True: time.sleep(0.05)',
    ].join('\n');
    const started = Date.now();
    const r = await run(code, { timeoutMs: 1000 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.isError).toBe(true);
    expect(r.content).toMatch(/^killed after the 1000 ms time limit/);
    const grandchild = Number(structured(r).stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it('does not leave background children running after a normal exit', async () => {
    const r = await run('import subprocess\nprint(subprocess.Popen(["sleep", "60"]).pid)');
    expect(structured(r).exitCode).toBe(0);
    const pid = Number(structured(r).stdout.trim());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(pid)).toBe(false);
  });

  it('caps output and says how much was dropped', async () => {
    const r = await run('print("x" * 5000)', { maxOutputBytes: 1000 });
    expect(structured(r).stdout).toBe('x'.repeat(1000));
    expect(structured(r).stdoutBytes).toBe(5001);
    expect(r.content).toContain('[stdout truncated: 4001 more bytes not shown]');
  });

  it('stops when the call is aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled')), 300);
    const started = Date.now();
    await expect(run('import time\ntime.sleep(30)', {}, controller.signal)).rejects.toThrow('cancelled');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports a missing interpreter to the model', async () => {
    const r = await run('print(1)', { pythonBin: '/nonexistent/python3' });
    expect(r.isError).toBe(true);
    expect(r.content).toContain('python could not be started (/nonexistent/python3)');
  });

  it('is never re-run automatically and outlives its own time limit', () => {
    const tool = runPythonTool({ pythonBin: 'python3', memoryMb: 256, timeoutMs: 2000 });
    expect(tool.policy).toBe('never');
    expect(tool.timeoutMs).toBe(7000);
  });
});
