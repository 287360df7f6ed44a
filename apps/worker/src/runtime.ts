// The deployment's models and tools, built from config once per worker process.
import { JobFailure } from '@agentq/agent';
import type { Config, Logger } from '@agentq/config';
import { createModelRegistry } from '@agentq/models';
import { createToolbox, toolboxOptionsFromSettings } from '@agentq/tools';
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

export async function createRuntime(
  config: Config,
  log: Logger,
): Promise<Runtime & { close(): Promise<void> }> {
  const models = createModelRegistry(modelRegistryOptions(config));
  const toolbox = await createToolbox({
    ...toolboxOptionsFromSettings(config),
    onWarning: (message) => log.warn(message),
    onEvent: (event, fields) => log.debug({ ...fields, event }, event),
  });
  log.info({ tools: toolbox.names() }, 'tools available');
  return {
    model(name, script) {
      const check = models.check(name);
      if (!check.ok) throw new JobFailure('invalid_job', `model "${name}" can't be used: ${check.reason}`);
      return models.resolve(name, script);
    },
    tools: (selection) => toolbox.tools(selection),
    close: () => toolbox.close(),
  };
}
