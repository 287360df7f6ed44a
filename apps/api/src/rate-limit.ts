// Per-tenant submit rate limit: a token bucket in Redis, so every API instance shares one budget. The
// bucket holds up to `perMinute` tokens and refills continuously (perMinute per 60 s); each submit takes
// one. One Lua script reads, refills and takes atomically, on Redis's clock (TIME), so instances with
// skewed clocks still agree. Submits of a tenant that arrive together take their tokens in one script call
// (group commit, like the job inserts they precede: one Redis round trip per burst, not per request), in
// arrival order: when the bucket runs dry mid-burst, the earlier submits get the tokens.
import { createHash } from 'node:crypto';
import { Batcher, type Settled } from '@agentq/db';
import type { Redis } from 'ioredis';

const WINDOW_MS = 60_000;

// KEYS[1] bucket hash {tokens, at}; ARGV[1] capacity (tokens per minute), ARGV[2] tokens wanted.
// Returns {tokens taken (≤ wanted), whole tokens left, ms until one more token is available (0 if all taken)}.
const TAKE = `
local capacity = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local per_ms = capacity / ${WINDOW_MS}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or capacity
local at = tonumber(b[2]) or now
if now > at then tokens = math.min(capacity, tokens + (now - at) * per_ms) end
local taken = math.max(0, math.min(wanted, math.floor(tokens)))
tokens = tokens - taken
local wait = 0
if taken < wanted then wait = math.ceil((1 - tokens) / per_ms) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], ${WINDOW_MS})
return {taken, math.floor(tokens), wait}`;
const TAKE_SHA = createHash('sha1').update(TAKE).digest('hex');

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When refused: how long until the next submit would be accepted. */
  retryAfterMs: number;
}

interface TakeRequest {
  tenant: string;
  perMinute: number;
}

export class SubmitRateLimiter {
  private readonly takes = new Batcher<TakeRequest, RateDecision>((requests) => this.takeAll(requests));

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  key(tenant: string): string {
    return `${this.prefix}:ratelimit:submit:${tenant}`;
  }

  /** Takes one submit from the tenant's bucket of `perMinute`. */
  take(tenant: string, perMinute: number): Promise<RateDecision> {
    return this.takes.add({ tenant, perMinute });
  }

  /** One script call per bucket in the batch; its tokens go to the requests in arrival order. */
  private async takeAll(requests: TakeRequest[]): Promise<Settled<RateDecision>[]> {
    const buckets = new Map<string, number[]>();
    requests.forEach((r, i) => {
      const bucket = `${r.tenant}\n${r.perMinute}`;
      buckets.set(bucket, [...(buckets.get(bucket) ?? []), i]);
    });
    const decisions: Settled<RateDecision>[] = new Array(requests.length);
    await Promise.all(
      [...buckets.values()].map(async (indexes) => {
        const { tenant, perMinute } = requests[indexes[0]!]!;
        const [taken, left, wait] = await this.evalTake(this.key(tenant), perMinute, indexes.length);
        indexes.forEach((index, k) => {
          const allowed = k < taken;
          decisions[index] = {
            ok: true,
            value: {
              allowed,
              limit: perMinute,
              // what was left right after this request's own token was taken
              remaining: allowed ? left + taken - 1 - k : left,
              retryAfterMs: allowed ? 0 : wait,
            },
          };
        });
      }),
    );
    return decisions;
  }

  private async evalTake(key: string, perMinute: number, wanted: number): Promise<[number, number, number]> {
    const args = [key, String(perMinute), String(wanted)] as const;
    try {
      return (await this.redis.evalsha(TAKE_SHA, 1, ...args)) as [number, number, number];
    } catch (error) {
      if (!String(error).includes('NOSCRIPT')) throw error;
      return (await this.redis.eval(TAKE, 1, ...args)) as [number, number, number];
    }
  }
}
