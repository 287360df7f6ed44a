// Refuses, as a 400 naming the field, input that JSON and zod accept but that would break further in:
// - NUL characters and unpaired UTF-16 surrogates, which Postgres refuses in text and jsonb (a 500 at insert);
// - nesting deeper than MAX_DEPTH, which overflows the stack of JSON.stringify (also a 500);
// - a NUL in the URL (route parameters such as a tool call id go to Postgres as they are).
// Every other check stays with the route's schema.
import type { RequestHandler } from 'express';
import { HttpError } from './errors.ts';

export const MAX_DEPTH = 64;

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this looks for.
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface Node {
  value: unknown;
  depth: number;
  key?: string | number;
  parent?: Node;
}

function refuse(node: Node, message: string): HttpError {
  const path: (string | number)[] = [];
  for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
  const joined = path.length > 0 ? path.join('.') : 'body';
  const field = joined.length > 200 ? `${joined.slice(0, 200)}…` : joined;
  return new HttpError(400, 'invalid_request', `${field}: ${message}`, [{ field, message }]);
}

/** The first problem in a parsed JSON value, walking it without recursion (and without copying paths). */
export function bodyProblem(body: unknown): HttpError | undefined {
  const stack: Node[] = [{ value: body, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof value === 'string') {
      if (BAD_TEXT.test(value))
        return refuse(node, 'must not contain NUL characters or unpaired UTF-16 surrogates');
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (node.depth >= MAX_DEPTH) return refuse(node, `nested deeper than ${MAX_DEPTH} levels`);
    const depth = node.depth + 1;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], depth, key: i, parent: node });
      continue;
    }
    for (const [key, v] of Object.entries(value)) {
      if (BAD_TEXT.test(key))
        return refuse(node, 'keys must not contain NUL characters or unpaired UTF-16 surrogates');
      stack.push({ value: v, depth, key, parent: node });
    }
  }
  return undefined;
}

export const bodyGuard: RequestHandler = (req, _res, next) => {
  if (/%00/i.test(req.originalUrl) || req.originalUrl.includes('\u0000')) {
    return next(new HttpError(400, 'invalid_request', 'the URL must not contain NUL characters'));
  }
  next(bodyProblem(req.body));
};
