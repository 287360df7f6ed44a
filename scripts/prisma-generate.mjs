// Generates the Prisma client during `pnpm install`.
// Prisma insists on a native schema-engine binary for `generate` and tries to download it,
// which fails on machines without internet. `generate` never runs that engine, so pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file skips the download. (Never /bin/true:
// `migrate deploy` would then "succeed" without applying anything — we apply migrations
// with our own runner instead, see packages/db/src/migrate.ts.)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = '/bin/false';
if (!env.DATABASE_URL) env.DATABASE_URL = 'postgresql://127.0.0.1:5432/agentq';
if (!existsSync('node_modules/.bin/prisma')) process.exit(0);
execFileSync('node_modules/.bin/prisma', ['generate'], { stdio: 'inherit', env });
