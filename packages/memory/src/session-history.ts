// Short-term memory: a session's earlier turns, given to each new job of the session as history.
// Postgres (SessionLog) is the durable copy; Redis holds a hot copy with a TTL (SESSION_TTL, refreshed
// on every use). A Redis miss loads from Postgres and re-warms Redis.
//
// Redis keys per session: a LIST of turns (JSON with seq) and a "head" string, the highest seq any
// writer has seen. Both scripts below use them so the hot copy never silently misses a turn: an append
// extends the list only when it directly follows the list's tail, and a re-warm from a Postgres read
// that an append has since overtaken is dropped instead of written.
import type { Message } from '@agentq/agent';
import type { Redis } from 'ioredis';
import type { SessionLog, SessionTurn, StoredTurn } from './session-log.ts';

export interface SessionHistoryOptions {
  redis: Redis;
  log: SessionLog;
  /** SESSION_TTL. */
  ttlSeconds: number;
  /** Namespaces the keys, e.g. "agentq:". */
  keyPrefix?: string;
  /** Turns kept and returned per session (the oldest drop out). */
  maxTurns?: number;
}

/** KEYS: list, head. ARGV: ttlMs, maxTurns, firstSeq, turn JSON… */
const APPEND = `
local ttl = tonumber(ARGV[1])
local first = tonumber(ARGV[3])
local last = first + #ARGV - 4
local head = tonumber(redis.call('GET', KEYS[2]) or '0')
if last > head then redis.call('SET', KEYS[2], last, 'PX', ttl) else redis.call('PEXPIRE', KEYS[2], ttl) end
local tail = redis.call('LINDEX', KEYS[1], -1)
local extend = false
if tail then
  local ok, decoded = pcall(cjson.decode, tail)
  local tailSeq = ok and type(decoded) == 'table' and tonumber(decoded.seq) or nil
  if tailSeq == first - 1 then
    extend = true
  elseif tailSeq == nil or tailSeq < first - 1 then
    redis.call('DEL', KEYS[1])
  else
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
elseif first == 1 and head < first then
  extend = true
end
if not extend then return 0 end
for i = 4, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`;

/** KEYS: list, head. ARGV: ttlMs, maxTurns, lastSeq, turn JSON… */
const WARM = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local last = tonumber(ARGV[3])
if tonumber(redis.call('GET', KEYS[2]) or '0') > last then return 0 end
for i = 4, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], last, 'PX', ARGV[1])
return 1
`;

export class SessionHistory {
  private readonly redis: Redis;
  private readonly log: SessionLog;
  private readonly ttlMs: number;
  private readonly prefix: string;
  private readonly maxTurns: number;

  constructor(options: SessionHistoryOptions) {
    if (!(options.ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive');
    this.redis = options.redis;
    this.log = options.log;
    this.ttlMs = Math.round(options.ttlSeconds * 1000);
    this.prefix = options.keyPrefix ?? 'agentq:';
    this.maxTurns = Math.max(1, options.maxTurns ?? 100);
  }

  /** The session's history as conversation messages, oldest first ([] for a new session). */
  async load(tenantId: string, sessionId: string): Promise<Message[]> {
    return toMessages(await this.loadTurns(tenantId, sessionId));
  }

  async loadTurns(tenantId: string, sessionId: string): Promise<StoredTurn[]> {
    const { list, head } = this.keys(tenantId, sessionId);
    const replies = await this.redis
      .multi()
      .lrange(list, 0, -1)
      .pexpire(list, this.ttlMs)
      .pexpire(head, this.ttlMs)
      .exec();
    const [error, raw] = replies?.[0] ?? [null, []];
    if (error) throw error;
    const hot = parseTurns(raw);
    if (hot === undefined)
      await this.redis.del(list); // unreadable hot copy: rebuild it from Postgres
    else if (hot.length > 0) return hot;
    const turns = await this.log.load(tenantId, sessionId, this.maxTurns);
    const last = turns.at(-1);
    if (last) {
      await this.redis.eval(WARM, 2, list, head, this.ttlMs, this.maxTurns, last.seq, ...turns.map(encode));
    }
    return turns;
  }

  /**
   * Records a finished job's turns (normally its task and its answer). Idempotent per job: a retried
   * job appends nothing the second time. True when turns were written.
   */
  async append(tenantId: string, sessionId: string, jobId: string, turns: SessionTurn[]): Promise<boolean> {
    for (const t of turns) {
      if ((t.role !== 'user' && t.role !== 'assistant') || typeof t.text !== 'string') {
        throw new TypeError('session turns need role "user" or "assistant" and a text');
      }
    }
    if (turns.length === 0) return false;
    const result = await this.log.append(tenantId, sessionId, jobId, turns);
    const first = result.turns[0];
    if (first) {
      // Also after a retried append: the first attempt may have died between Postgres and Redis.
      const { list, head } = this.keys(tenantId, sessionId);
      await this.redis.eval(
        APPEND,
        2,
        list,
        head,
        this.ttlMs,
        this.maxTurns,
        first.seq,
        ...result.turns.map(encode),
      );
    }
    return result.appended;
  }

  /** The braces make both keys one Redis Cluster hash slot, which the scripts require. */
  private keys(tenantId: string, sessionId: string): { list: string; head: string } {
    const base = `${this.prefix}session:{${encodeURIComponent(tenantId)}:${encodeURIComponent(sessionId)}}`;
    return { list: base, head: `${base}:head` };
  }
}

export function toMessages(turns: readonly SessionTurn[]): Message[] {
  return turns.map((t) =>
    t.role === 'user' ? { role: 'user', text: t.text } : { role: 'assistant', text: t.text, toolCalls: [] },
  );
}

const encode = (t: StoredTurn): string =>
  JSON.stringify({ seq: t.seq, jobId: t.jobId, role: t.role, text: t.text });

/** undefined when the hot copy is unreadable (then Postgres is asked). */
function parseTurns(raw: unknown): StoredTurn[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const turns: StoredTurn[] = [];
  for (const item of raw) {
    try {
      const t = JSON.parse(String(item)) as Partial<StoredTurn>;
      if (typeof t.seq !== 'number' || typeof t.jobId !== 'string' || typeof t.text !== 'string')
        return undefined;
      if (t.role !== 'user' && t.role !== 'assistant') return undefined;
      turns.push({ seq: t.seq, jobId: t.jobId, role: t.role, text: t.text });
    } catch {
      return undefined;
    }
  }
  return turns;
}
