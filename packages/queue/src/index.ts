export {
  InvalidPayloadError,
  type JobKind,
  jobKinds,
  type PayloadOf,
  parsePayload,
  QUEUE_NAMES,
} from './catalog.ts';
export { channels, jobChangedIds, jobChangedPublisher } from './channels.ts';
export { createRedis, subscribeWhenReady } from './connection.ts';
export { Queues } from './queues.ts';
export { type RunConfig, runConfigSchema, scriptSchema } from './run-config.ts';
export {
  cronProblem,
  removeScheduler,
  SCHEDULE_TZ,
  type SchedulerSpec,
  schedulerIds,
  upsertScheduler,
} from './schedulers.ts';
