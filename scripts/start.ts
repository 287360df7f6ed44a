// `pnpm start`: applies pending migrations (creating the database if missing), then runs the API and one
// worker as child processes with readable logs. Ctrl-C (or SIGTERM) shuts both down gracefully.
import { type ChildProcess, spawn } from 'node:child_process';
import { loadConfigOrExit } from '@agentq/config';
import { migrate } from '@agentq/db';

const config = loadConfigOrExit();
const result = await migrate(config.DATABASE_URL, { log: (line) => console.log(`[migrate] ${line}`) });
console.log(`[migrate] ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);

const env = { ...process.env, LOG_PRETTY: process.env.LOG_PRETTY ?? 'true' };
const children: ChildProcess[] = [];
const run = (name: string, entry: string) => {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  child.on('exit', (code, signal) => {
    console.log(`[${name}] exited (${signal ?? code})`);
    shutdown(code ?? 1);
  });
  children.push(child);
};

let stopping = false;
function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null))).then(
    () => process.exit(code),
  );
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

run('api', 'apps/api/src/main.ts');
run('worker', 'apps/worker/src/main.ts');
