// `pnpm start:api`: the HTTP API. Any number may run behind a load balancer.
import { createLogger, loadConfigOrExit } from '@agentq/config';
import { createCatalog } from './catalog-from-config.ts';
import { createApi } from './server.ts';

const config = loadConfigOrExit();
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
