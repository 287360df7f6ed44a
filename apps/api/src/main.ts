// `pnpm start:api`: the HTTP API. Any number may run behind a load balancer.
import { ConfigError, createLogger, loadConfig, loadDotEnv } from '@agentq/config';
import { createCatalog } from './catalog-from-config.ts';
import { createApi } from './server.ts';

loadDotEnv();
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}
const log = createLogger(config, 'api');
const api = await createApi({ config, log, runtime: await createCatalog(config) });
api.server.listen(config.PORT, () =>
  log.info({ port: config.PORT }, `agentq API listening on http://localhost:${config.PORT}`),
);

const stop = async (signal: string) => {
  log.info({ signal }, 'API shutting down');
  await api.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
