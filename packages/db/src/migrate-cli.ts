// `pnpm migrate`: applies pending migrations to DATABASE_URL (creating the database if missing).
import { loadConfigOrExit } from '@agentq/config';
import { migrate } from './migrate.ts';

const { DATABASE_URL } = loadConfigOrExit();
const result = await migrate(DATABASE_URL, { log: (line) => console.log(line) });
console.log(`migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
