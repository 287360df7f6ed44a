// A real worker process (the same entry point as `pnpm start:worker`) for tests that need to SIGKILL one.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Config } from '@agentq/config';

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker logged that it started. */
  ready: Promise<void>;
  kill(): Promise<void>;
}

export function spawnWorker(config: Config, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: config.DATABASE_URL,
      REDIS_URL: config.REDIS_URL,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      WORKER_LOCK_MS: String(config.WORKER_LOCK_MS),
      WORKER_STALLED_INTERVAL_MS: String(config.WORKER_STALLED_INTERVAL_MS),
      RECONCILE_INTERVAL_MS: String(config.RECONCILE_INTERVAL_MS),
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"worker started"')) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`worker exited (${code}) before it started:\n${output.slice(-2000)}`)),
    );
  });
  return {
    child,
    ready,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
