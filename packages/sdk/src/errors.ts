// Errors the client throws. An HTTP error answer of the API becomes an AgentqError; network failures
// stay what fetch threw (a TypeError) and an aborted call rejects with the signal's reason.
import type { Job } from './types.ts';

/** One entry of a 400's `details`: which field is wrong and why. */
export interface FieldError {
  field: string;
  message: string;
}

export class AgentqError extends Error {
  override name = 'AgentqError';
  /** The HTTP status (e.g. 400, 401, 404, 409, 500). */
  readonly status: number;
  /** The API's machine-readable code, e.g. `invalid_request`, `not_found`, `idempotency_key_reused`. */
  readonly code: string;
  readonly details: unknown;
  /** The bad fields named by a 400's `details` (empty when the answer names none). */
  readonly fieldErrors: FieldError[];

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.fieldErrors = Array.isArray(details) ? details.filter(isFieldError) : [];
  }

  /** Builds the error from an error answer: `{error: {code, message, details?}}`, or whatever else came back. */
  static async fromResponse(res: Response): Promise<AgentqError> {
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const error = (body as { error?: unknown } | undefined)?.error;
    if (typeof error === 'object' && error !== null) {
      const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
      if (typeof code === 'string' && typeof message === 'string') {
        return new AgentqError(res.status, code, message, details);
      }
    }
    // Not the API's shape (a proxy's error page, an empty 502): keep what there is to read.
    const snippet = text.trim().slice(0, 200);
    const message = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${snippet ? `: ${snippet}` : ''}`;
    return new AgentqError(res.status, `http_${res.status}`, message);
  }
}

function isFieldError(value: unknown): value is FieldError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as FieldError).field === 'string' &&
    typeof (value as FieldError).message === 'string'
  );
}

/** `wait()` ran out of time before the job ended; `job` is the last status seen. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
  constructor(
    readonly job: Job,
    readonly timeoutMs: number,
  ) {
    super(`job ${job.job_id} is still ${job.status} after ${timeoutMs} ms`);
  }
}
