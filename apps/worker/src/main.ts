// `pnpm start:worker`: one worker process. Start as many as you like, on any machines.
import { createLogger, loadConfigOrExit } from '@agentq/config';
import { startWorkerProcess } from './process.ts';
import { createRuntime } from './runtime.ts';

const config = loadConfigOrExit();
const log = createLogger(config, 'worker');
const runtime = await createRuntime(config, log);
const worker = await startWorkerProcess({ config, log, runtime });

// SIGTERM: finish or hand back in-flight runs (SHUTDOWN_GRACE_MS), then close every connection.
const stop = async (signal: string) => {
  log.info({ signal }, 'worker received signal');
  const force = setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 15_000);
  force.unref();
  await worker.close();
  await runtime.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
