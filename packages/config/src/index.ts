export type { Config } from './load.ts';
export { ConfigError, loadConfig, loadConfigOrExit, loadDotEnv } from './load.ts';
export { createLogger, type Logger } from './logger.ts';
export { settings } from './settings.ts';
