// The API's view of models and tools: enough to refuse a job it can't run. It never starts MCP servers
// (connectMcp: false): any `<configured server>__<tool>` name counts as known, the worker checks the rest.
import type { Config } from '@agentq/config';
import { createModelRegistry } from '@agentq/models';
import { createToolbox, toolboxOptionsFromSettings } from '@agentq/tools';
import { catalogMemoryTools } from '../../worker/src/memory.ts';
import { modelRegistryOptions } from '../../worker/src/runtime.ts';
import type { SubmitCatalog } from './catalog.ts';

export async function createCatalog(config: Config): Promise<SubmitCatalog> {
  const models = createModelRegistry(modelRegistryOptions(config));
  // The memory tools' names and schemas only: the API opens no Redis/Qdrant connection for them.
  const toolbox = await createToolbox({
    ...toolboxOptionsFromSettings(config),
    connectMcp: false,
    extraTools: catalogMemoryTools(),
  });
  return {
    defaultModel: () => models.defaultModel(),
    modelProblem(name) {
      const check = models.check(name);
      return check.ok ? undefined : check.reason;
    },
    unknownTools(names) {
      const check = toolbox.check(names);
      return [...check.unknown, ...check.notAllowed];
    },
  };
}
