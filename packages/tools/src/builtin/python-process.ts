// Runs one Python program under limits: fresh temporary directory, scrubbed environment, address-space and
// file-size limits, a wall-clock limit that kills the whole process group, and capped output. This contains
// accidents (runaway loops, memory blow-ups, huge output, stray child processes); it is not a jail: the
// program runs as the worker's user and can use the network and read what that user can read.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface PythonLimits {
  /** Wall clock, in milliseconds. */
  timeoutMs: number;
  /** Address-space limit (RLIMIT_AS), in MiB. */
  memoryMb: number;
  /** Kept per stream; the rest is counted and dropped. */
  maxOutputBytes: number;
  /** Largest file the program may write (RLIMIT_FSIZE), in MiB. */
  maxFileMb: number;
}

export interface PythonRun {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  durationMs: number;
}

// Applies the limits, then replaces itself with the real program: limits survive exec, and tracebacks
// show only the user's code.
const LAUNCHER = `
import os, resource, sys
mem, fsize = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
os.execv(sys.executable, [sys.executable, "-E", "-s", "-u", "-X", "utf8", "main.py"])
`;

// The only environment the program sees: nothing of the worker's (API keys, database URLs) leaks in.
const environment = (dir: string): Record<string, string> => ({
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: dir,
  TMPDIR: dir,
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
});

const interpreters = new Map<string, Promise<string>>();

/**
 * The interpreter's real path. PYTHON_BIN may be a bare name or a shim (pyenv, asdf) that needs the worker's
 * environment to find Python; asking Python itself once gives a path that runs with the scrubbed environment.
 */
export function resolveInterpreter(bin: string): Promise<string> {
  let found = interpreters.get(bin);
  if (!found) {
    found = promisify(execFile)(bin, ['-c', 'import sys; print(sys.executable)'], { timeout: 15_000 }).then(
      ({ stdout }) => {
        const executable = stdout.trim();
        if (!executable) throw new Error(`${bin} did not report its executable path`);
        return executable;
      },
    );
    // A failure is not cached: the operator may fix the installation without restarting the worker.
    found.catch(() => interpreters.delete(bin));
    interpreters.set(bin, found);
  }
  return found;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

class CappedOutput {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  total = 0;
  constructor(readonly max: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.#kept >= this.max) return;
    const part = chunk.subarray(0, this.max - this.#kept);
    this.#chunks.push(part);
    this.#kept += part.length;
  }
  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/** Runs `code`; rejects only when the interpreter cannot start or the signal aborts. */
export async function runPython(
  bin: string,
  code: string,
  limits: PythonLimits,
  signal: AbortSignal,
): Promise<PythonRun> {
  const python = await resolveInterpreter(bin);
  signal.throwIfAborted();
  const dir = await mkdtemp(path.join(tmpdir(), 'agentq-python-'));
  try {
    await writeFile(path.join(dir, 'main.py'), code);
    const started = performance.now();
    const child = spawn(
      python,
      [
        '-E',
        '-s',
        '-c',
        LAUNCHER,
        String(limits.memoryMb * 1024 * 1024),
        String(limits.maxFileMb * 1024 * 1024),
      ],
      // detached: its own process group, so a timeout also kills whatever the program started.
      { cwd: dir, env: environment(dir), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const stdout = new CappedOutput(limits.maxOutputBytes);
    const stderr = new CappedOutput(limits.maxOutputBytes);
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, limits.timeoutMs);
    const onAbort = () => killGroup(child.pid);
    signal.addEventListener('abort', onAbort, { once: true });
    // Children the program left running would hold the pipes open; they go when it exits.
    child.once('exit', () => killGroup(child.pid));
    try {
      const [exitCode, exitSignal] = await new Promise<[number | null, string | null]>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (c: number | null, s: NodeJS.Signals | null) => resolve([c, s]));
      });
      signal.throwIfAborted();
      return {
        exitCode,
        signal: exitSignal,
        timedOut,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutBytes: stdout.total,
        stderrBytes: stderr.total,
        durationMs: Math.round(performance.now() - started),
      };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      killGroup(child.pid);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
