// `pnpm migrate`: applies pending migrations to DATABASE_URL (creating the database if missing).
import { loadConfig, loadDotEnv } from '@agentq/config';
import { migrate } from './migrate.ts';

loadDotEnv();
const { DATABASE_URL } = loadConfig();
const result = await migrate(DATABASE_URL, { log: (line) => console.log(line) });
console.log(`migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
