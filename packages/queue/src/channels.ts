// Redis pub/sub channel names. Messages are hints that make things faster (wake a long-poll, abort a run);
// correctness never depends on them — Postgres is read again after every hint.
export const channels = {
  /** Payload: job id. Every worker aborts the run if it holds it. */
  cancel: (prefix: string) => `${prefix}:cancel`,
  /** Payload: job id. A job changed (status, step, tool call): waiters and event streams re-read it. */
  jobChanged: (prefix: string) => `${prefix}:job-changed`,
};
