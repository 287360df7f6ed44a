export { ApiKeysRepo, pingDatabase } from './api-keys-repo.ts';
export { Batcher, type BatcherOptions, type Settled } from './batcher.ts';
export {
  type CheckpointStoreHooks,
  type DeliveriesWritten,
  PostgresCheckpointStore,
} from './checkpoint-store.ts';
export { createDb, type Db, type Prisma } from './client.ts';
export { connectionString } from './connection-string.ts';
export { DeliveriesRepo, type Delivery, type DeliveryAttempt } from './deliveries-repo.ts';
export { type JobWrite, writeJob } from './job-write.ts';
export {
  type ActiveJob,
  type CreateJobResult,
  isUuid,
  type JobEvent,
  JobsRepo,
  type NewJob,
  type StatusObject,
} from './jobs-repo.ts';
export { ensureDatabase, listMigrations, MIGRATIONS_DIR, MigrationError, migrate } from './migrate.ts';
export { type NewSchedule, type ScheduleRow, SchedulesRepo, type ScheduleTiming } from './schedules-repo.ts';
export { type SqlClient, sqlClient } from './sql.ts';
export { type ApiKeyRow, type TenantLimits, type TenantRow, TenantsRepo } from './tenants-repo.ts';
