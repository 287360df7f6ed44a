export { ConfigError, loadConfig, loadDotEnv } from './load.ts';
export type { Config } from './load.ts';
export { settings } from './settings.ts';
export { createLogger, type Logger } from './logger.ts';
