// How long a provider asked us to wait before the next attempt. Both Anthropic and OpenAI send the
// standard `Retry-After` (seconds or an HTTP date) and the more precise, non-standard `retry-after-ms`.

/** Milliseconds to wait, or undefined when the response says nothing usable. */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Number(ms);
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its month ("Wed, 21 Oct 2026 07:28:00 GMT"); Date.parse would also take "-5".
  const date = /[a-z]{3}/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
