// http_request: lets the model call HTTP APIs. Destinations go through the shared SSRF guard, and the
// call's idempotency key travels as the Idempotency-Key header, which is what makes re-running it safe.
import type { Tool, ToolResult } from '@agentq/agent';
import { DestinationRefused, guardedFetch } from '@agentq/webhooks';
import { errorResult, utf8Prefix } from '../result.ts';

export interface HttpRequestOptions {
  /** HTTP_TOOL_ALLOW_PRIVATE */
  allowPrivate: boolean;
  /** HTTP_TOOL_MAX_RESPONSE_BYTES: the body the model reads is cut here. */
  maxResponseBytes: number;
  /** Limit of one request (TOOL_TIMEOUT_MS); the call's signal applies as well. */
  timeoutMs?: number;
  maxRedirects?: number;
}

interface Input {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
// Overloaded or rate-limited answers are worth the loop's retry (same idempotency key, with backoff).
const TRANSIENT = new Set([429, 502, 503, 504]);
// Framing is node's business; a model-supplied value could only desynchronise the request.
const DROPPED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);
const TEXTUAL =
  /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded|yaml|graphql))/i;

/** Thrown for answers worth retrying, so the loop does (the key makes the repeat safe). */
export class TransientHttpStatus extends Error {
  constructor(status: number, snippet: string) {
    super(`HTTP ${status}${snippet ? `: ${snippet}` : ''}`);
    this.name = 'TransientHttpStatus';
  }
}

export function httpRequestTool(options: HttpRequestOptions): Tool {
  return {
    name: 'http_request',
    description:
      'Send an HTTP request to a public http(s) URL and get back {status, headers, body}. Use it to call web APIs ' +
      'or fetch pages. The body is text and is truncated past ' +
      `${options.maxResponseBytes} bytes. Private, loopback and cloud-metadata addresses are refused. ` +
      'An Idempotency-Key header identifying this call is added unless you set one, so a retried POST is not ' +
      'applied twice by servers that honour it. Set content-type yourself when sending a body.',
    inputSchema: {
      type: 'object',
      properties: {
        method: { type: 'string', enum: METHODS, description: 'HTTP method.' },
        url: {
          type: 'string',
          minLength: 1,
          maxLength: 8192,
          description: 'Absolute http:// or https:// URL.',
        },
        headers: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Request headers, e.g. {"content-type": "application/json"}.',
        },
        body: {
          type: 'string',
          maxLength: 1_000_000,
          description: 'Request body (text), for POST/PUT/PATCH.',
        },
      },
      required: ['method', 'url'],
      additionalProperties: false,
    },
    policy: 'retry_with_key',
    async execute(raw, ctx): Promise<ToolResult> {
      const input = raw as Input;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(input.headers ?? {})) {
        if (!DROPPED_HEADERS.has(name.toLowerCase())) headers[name] = value;
      }
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'idempotency-key')) {
        headers['Idempotency-Key'] = ctx.idempotencyKey;
      }
      let response: Response;
      try {
        response = await guardedFetch(
          input.url,
          { method: input.method, headers, ...(input.body === undefined ? {} : { body: input.body }) },
          {
            allowPrivate: options.allowPrivate,
            signal: ctx.signal,
            maxRedirects: options.maxRedirects ?? 5,
            ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          },
        );
      } catch (error) {
        // Refusals are final; network failures and timeouts are thrown on for the loop to retry.
        if (error instanceof DestinationRefused) return errorResult(error.message);
        throw error;
      }
      const { bytes, truncated } = await readCapped(response, options.maxResponseBytes);
      const contentType = response.headers.get('content-type') ?? '';
      const textual = contentType === '' || TEXTUAL.test(contentType);
      if (TRANSIENT.has(response.status)) {
        throw new TransientHttpStatus(response.status, textual ? utf8Prefix(bytes, 300) : '');
      }
      const body = textual
        ? utf8Prefix(bytes, options.maxResponseBytes)
        : `<${truncated ? `more than ${options.maxResponseBytes}` : bytes.length} bytes of ${contentType}, not shown>`;
      const result = {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body,
        // Only when redirects led elsewhere, so the model knows where the body came from.
        ...(response.url !== new URL(input.url).href ? { url: response.url } : {}),
        ...(truncated && textual
          ? { note: `body truncated to the first ${options.maxResponseBytes} bytes` }
          : {}),
      };
      return { content: JSON.stringify(result), structured: result };
    },
  };
}

/** Reads at most max bytes, then stops the download rather than buffering what would be thrown away. */
async function readCapped(
  response: Response,
  max: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!response.body) return { bytes: new Uint8Array(), truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  while (size <= max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  const truncated = size > max;
  if (truncated) await reader.cancel().catch(() => {});
  // Past max, the bytes are only used to find a character boundary at the cut.
  return { bytes: Buffer.concat(chunks), truncated };
}
