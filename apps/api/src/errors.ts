// Every error leaves the API as `{"error": {"code", "message", "details"?}}` (API.md). Bad input is a
// 4xx naming the field; anything unexpected is a 500 without internals (logged with the request id).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what = 'job') => new HttpError(404, 'not_found', `${what} not found`);

export function fromZod(error: z.ZodError, where = 'body'): HttpError {
  const details = error.issues.map((i) => ({
    field: i.path.length > 0 ? i.path.join('.') : where,
    message: i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
  }));
  const first = details[0];
  return new HttpError(
    400,
    'invalid_request',
    first ? `${first.field}: ${first.message}` : `invalid ${where}`,
    details,
  );
}

/** Parses with a zod schema or throws a 400 naming the first bad field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error, where);
  return result.data;
}

export const unknownRoute: RequestHandler = (req, _res, next) =>
  next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));

export function errorHandler(log: { error: (o: object, msg: string) => void }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else if (err?.type === 'entity.parse.failed')
      e = new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
    else if (err?.type === 'entity.too.large')
      e = new HttpError(413, 'body_too_large', `the request body is larger than ${err.limit} bytes`);
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported')
      e = new HttpError(415, 'unsupported_encoding', 'unsupported body encoding');
    else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500)
      e = new HttpError(err.status, 'bad_request', 'the request could not be read');
    else {
      log.error({ err, method: req.method, path: req.path }, 'unhandled error');
      e = new HttpError(500, 'internal_error', 'something went wrong on our side');
    }
    if (res.headersSent) return res.end();
    res
      .set(e.headers)
      .status(e.status)
      .json({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } });
  };
}

/** Wraps an async handler so a rejected promise reaches the error handler (Express 5 does this too). */
export const route =
  (fn: (...args: Parameters<RequestHandler>) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    fn(req, res, next).catch(next);
  };
