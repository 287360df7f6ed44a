// The few error classes that steer a run. The worker maps `retryable: false` to BullMQ's
// UnrecoverableError; a retryable error lets BullMQ try the run again later, resuming from its checkpoint.

export type JobErrorCode =
  | 'max_steps_exceeded'
  | 'budget_exceeded'
  | 'loop_detected'
  | 'outcome_unknown'
  | 'model_error'
  | 'model_refusal'
  | 'script_exhausted'
  | 'approval_expired'
  | 'timeout'
  | 'invalid_job'
  | 'tool_error'
  | 'internal_error';

/** Ends the job as failed with a code and a message a user can act on. Never retried. */
export class JobFailure extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'JobFailure';
  }
}

/** A transient problem (provider overloaded, network): the run is retried later from its checkpoint. */
export class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

/** This worker no longer owns the job (another worker took it over); stop without writing anything. */
export class LeaseLostError extends Error {
  constructor(readonly jobId: string) {
    super(`lease on job ${jobId} was lost to another worker`);
    this.name = 'LeaseLostError';
  }
}

/** The job was cancelled while running; the store has already recorded it. */
export class CancelledError extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} was cancelled`);
    this.name = 'CancelledError';
  }
}
