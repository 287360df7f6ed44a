// One job per session at a time: the second job of a session would otherwise start before the first
// one's answer is in the history. The worker takes this lock before running a session's job and, when
// it is held, delays the job by about retryAfterMs.
//
// A Redis key with a TTL (so a dead worker's lock expires by itself) whose value is an owner token:
// only the holder can renew or release it (compare-and-set in Lua), so a worker that lost its lock by
// expiry can never release or extend the next holder's.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface SessionLockOptions {
  redis: Redis;
  keyPrefix?: string;
  /** How long a lock lives without renewal. */
  ttlMs?: number;
}

export type LockAttempt = { acquired: true; lease: SessionLease } | { acquired: false; retryAfterMs: number };

/**
 * KEYS: lock. ARGV: token, owner prefix ("<owner>|"), ttlMs.
 * SET NX PX; failing that, the same owner (a retried attempt of the job whose worker died) takes the
 * lock over with a new token, so it does not wait out the TTL and the dead attempt's token stops working.
 * Returns {1, 0} when acquired, else {0, remaining ms}.
 */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3]) then return {1, 0} end
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, string.len(ARGV[2])) == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return {1, 0}
end
return {0, redis.call('PTTL', KEYS[1])}
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

export class SessionLock {
  private readonly redis: Redis;
  private readonly prefix: string;
  readonly ttlMs: number;

  constructor(options: SessionLockOptions) {
    this.redis = options.redis;
    this.prefix = options.keyPrefix ?? 'agentq:';
    this.ttlMs = options.ttlMs ?? 30_000;
    if (!(this.ttlMs >= 100)) throw new RangeError('ttlMs must be at least 100');
  }

  /** `owner` names the holder, normally the job id; it must not contain "|". */
  async acquire(tenantId: string, sessionId: string, owner: string): Promise<LockAttempt> {
    if (!owner || owner.includes('|')) throw new TypeError('owner must be non-empty and without "|"');
    const key = `${this.prefix}session-lock:${encodeURIComponent(tenantId)}:${encodeURIComponent(sessionId)}`;
    const token = `${owner}|${randomUUID()}`;
    const [ok, pttl] = (await this.redis.eval(ACQUIRE, 1, key, token, `${owner}|`, this.ttlMs)) as [
      number,
      number,
    ];
    if (ok === 1) return { acquired: true, lease: new SessionLease(this.redis, key, token, this.ttlMs) };
    // PTTL is -1 only for a key without expiry (not ours) and -2 if it vanished just now: retry soon.
    return { acquired: false, retryAfterMs: pttl > 0 ? pttl : 100 };
  }
}

export class SessionLease {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly token: string,
    readonly ttlMs: number,
  ) {}

  /** Extends the lock by ttlMs; false when it is no longer ours (expired, taken over). */
  async renew(): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.key, this.token, this.ttlMs)) === 1;
  }

  /** False when it was no longer ours; then nothing is deleted. */
  async release(): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, this.key, this.token)) === 1;
  }

  /**
   * Renews every intervalMs (default a third of the TTL) until stopped. Calls onLost once, and stops,
   * when the lock turns out to be someone else's or could not be renewed for a whole TTL.
   */
  keepAlive(onLost: () => void, intervalMs = Math.floor(this.ttlMs / 3)): () => void {
    let lastRenewed = Date.now();
    let stopped = false;
    const stop = () => {
      stopped = true;
      clearInterval(timer);
    };
    const lost = () => {
      if (stopped) return;
      stop();
      onLost();
    };
    const timer = setInterval(() => {
      this.renew().then(
        (ok) => {
          if (ok) lastRenewed = Date.now();
          else lost();
        },
        () => {
          if (Date.now() - lastRenewed >= this.ttlMs) lost();
        },
      );
    }, intervalMs);
    timer.unref();
    return stop;
  }
}
