// Per-tenant submit rate limit: a token bucket in Redis, so every API instance shares one budget. The
// bucket holds up to `perMinute` tokens and refills continuously (perMinute per 60 s); each submit takes
// one. One Lua script reads, refills and takes atomically, on Redis's clock (TIME), so instances with
// skewed clocks still agree.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const WINDOW_MS = 60_000;

// KEYS[1] bucket hash {tokens, at}; ARGV[1] capacity (tokens per minute).
// Returns {allowed 0|1, whole tokens left, ms until one token is available}.
const TAKE = `
local capacity = tonumber(ARGV[1])
local per_ms = capacity / ${WINDOW_MS}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or capacity
local at = tonumber(b[2]) or now
if now > at then tokens = math.min(capacity, tokens + (now - at) * per_ms) end
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], ${WINDOW_MS})
return {allowed, math.floor(tokens), wait}`;
const TAKE_SHA = createHash('sha1').update(TAKE).digest('hex');

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When refused: how long until the next submit would be accepted. */
  retryAfterMs: number;
}

export class SubmitRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  key(tenant: string): string {
    return `${this.prefix}:ratelimit:submit:${tenant}`;
  }

  /** Takes one submit from the tenant's bucket of `perMinute`. */
  async take(tenant: string, perMinute: number): Promise<RateDecision> {
    const args = [this.key(tenant), String(perMinute)] as const;
    let reply: unknown;
    try {
      reply = await this.redis.evalsha(TAKE_SHA, 1, ...args);
    } catch (error) {
      if (!String(error).includes('NOSCRIPT')) throw error;
      reply = await this.redis.eval(TAKE, 1, ...args);
    }
    const [allowed, remaining, wait] = reply as [number, number, number];
    return { allowed: allowed === 1, limit: perMinute, remaining, retryAfterMs: wait };
  }
}
