// The deployment's models, tools and memory, built from config once per worker process.
import { JobFailure } from '@agentq/agent';
import type { Config, Logger } from '@agentq/config';
import { createDb, type Prisma } from '@agentq/db';
import { createModelRegistry } from '@agentq/models';
import { createRedis } from '@agentq/queue';
import { createToolbox, toolboxOptionsFromSettings } from '@agentq/tools';
import type { Redis } from 'ioredis';
import { createWorkerMemory } from './memory.ts';
import type { Runtime } from './run-processor.ts';

export function modelRegistryOptions(config: Config) {
  return {
    anthropicApiKey: config.ANTHROPIC_API_KEY,
    anthropicBaseUrl: config.ANTHROPIC_BASE_URL,
    openaiApiKey: config.OPENAI_API_KEY,
    openaiBaseUrl: config.OPENAI_BASE_URL,
    openaiCompatibleModels: config.OPENAI_COMPATIBLE_MODELS,
    defaultModel: config.DEFAULT_MODEL,
    scripted: config.SCRIPTED_MODEL === 'on',
    timeoutMs: config.MODEL_TIMEOUT_MS,
    maxRetries: config.MODEL_MAX_RETRIES,
    prices: config.MODEL_PRICES,
  };
}

/**
 * Memory needs Postgres and Redis: pass the process's clients, or leave them out and the runtime opens
 * (and closes) its own from DATABASE_URL and REDIS_URL.
 */
export async function createRuntime(
  config: Config,
  log: Logger,
  connections?: { prisma: Prisma; redis: Redis },
): Promise<Runtime & { close(): Promise<void> }> {
  const models = createModelRegistry(modelRegistryOptions(config));
  const own = connections
    ? undefined
    : {
        db: createDb(config.DATABASE_URL, { maxConnections: Math.min(20, config.WORKER_CONCURRENCY + 2) }),
        redis: createRedis(config.REDIS_URL, { name: 'agentq-worker-memory' }),
      };
  const closeOwn = async () => {
    if (!own) return;
    await own.redis.quit().catch(() => {});
    await own.db.close();
  };
  let memory: ReturnType<typeof createWorkerMemory>;
  let toolbox: Awaited<ReturnType<typeof createToolbox>>;
  try {
    memory = createWorkerMemory(config, log, connections ?? { prisma: own!.db.prisma, redis: own!.redis });
    toolbox = await createToolbox({
      ...toolboxOptionsFromSettings(config),
      extraTools: memory.tools,
      onWarning: (message) => log.warn(message),
      onEvent: (event, fields) => log.debug({ ...fields, event }, event),
    });
  } catch (error) {
    await closeOwn();
    throw error;
  }
  log.info({ tools: toolbox.names() }, 'tools available');
  return {
    model(name, script) {
      const check = models.check(name);
      if (!check.ok) throw new JobFailure('invalid_job', `model "${name}" can't be used: ${check.reason}`);
      return models.resolve(name, script);
    },
    tools: (selection) => toolbox.tools(selection),
    prepare: (job) => memory.prepare(job),
    finished: (job, end) => memory.finished(job, end),
    enterSession: (job) => memory.enterSession(job),
    redoFinished: (jobId) => memory.redoFinished(jobId),
    async close() {
      await toolbox.close();
      await closeOwn();
    },
  };
}
