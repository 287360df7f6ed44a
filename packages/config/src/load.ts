import { existsSync } from 'node:fs';
import type { z } from 'zod';
import { type Settings, settings } from './settings.ts';

type Value<K extends keyof Settings> = z.output<Settings[K]['schema']>;
/** The parsed environment: settings with a default are always present, the others may be undefined. */
export type Config = {
  readonly [K in keyof Settings]: Settings[K] extends { default: string } ? Value<K> : Value<K> | undefined;
};

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses every setting; throws one ConfigError naming every wrong variable. Empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const out: Record<string, unknown> = {};
  const problems: { variable: string; message: string }[] = [];
  for (const [name, setting] of Object.entries(settings) as [string, Settings[keyof Settings]][]) {
    const raw = env[name]?.trim() ? env[name] : 'default' in setting ? setting.default : undefined;
    if (raw === undefined) continue;
    const parsed = setting.schema.safeParse(raw);
    if (parsed.success) out[name] = parsed.data;
    else problems.push({ variable: name, message: parsed.error.issues.map((i) => i.message).join('; ') });
  }
  if (out.ADMIN_USERNAME !== undefined && out.ADMIN_PASSWORD === undefined) {
    problems.push({ variable: 'ADMIN_PASSWORD', message: 'required when ADMIN_USERNAME is set' });
  }
  if (out.MODEL_PRICES !== undefined) {
    try {
      JSON.parse(out.MODEL_PRICES as string);
    } catch {
      problems.push({ variable: 'MODEL_PRICES', message: 'must be JSON' });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as Config;
}

/** Reads `.env` into process.env when present (variables already set win). */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/**
 * For process entry points: reads `.env`, parses every setting, and on a wrong value prints which variables
 * are wrong and exits with EX_CONFIG (78) instead of a stack trace.
 */
export function loadConfigOrExit(): Config {
  loadDotEnv();
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(78);
  }
}
