import { type Logger, pino } from 'pino';
import type { Config } from './load.ts';

export type { Logger };

/** Structured logs (pino). Secrets are redacted wherever they might be logged by accident. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_PRETTY'>, name: string): Logger {
  return pino({
    name,
    level: config.LOG_LEVEL,
    redact: {
      paths: [
        '*.authorization',
        '*.Authorization',
        '*.apiKey',
        '*.api_key',
        '*.password',
        '*.secret',
        'headers.*',
      ],
      censor: '[redacted]',
    },
    ...(config.LOG_PRETTY
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  });
}
