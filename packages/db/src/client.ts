import { PrismaPg } from '@prisma/adapter-pg';
import { connectionString } from './connection-string.ts';
import { PrismaClient } from './generated/prisma/client.ts';

export type Prisma = InstanceType<typeof PrismaClient>;

export interface Db {
  prisma: Prisma;
  close(): Promise<void>;
}

/** One Prisma client (through the mandatory pg driver adapter) for a process. */
export function createDb(databaseUrl: string, options: { maxConnections?: number } = {}): Db {
  const adapter = new PrismaPg({
    connectionString: connectionString(databaseUrl),
    max: options.maxConnections ?? 10,
  });
  const prisma = new PrismaClient({ adapter });
  return { prisma, close: () => prisma.$disconnect() };
}
