// Prisma 7 reads its settings from here. `env()` from prisma/config throws when a variable is
// unset, so the URL is read from process.env with the same default as packages/config.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://127.0.0.1:5432/agentq' },
});
