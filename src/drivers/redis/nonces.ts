/**
 * NonceCache on Redis, shared by every node: `SET <prefix><key> 1 NX PX <ttl>` in one Lua
 * call (atomic), so of any number of claims of one key from any nodes exactly one wins, and Redis
 * forgets the key when its ttl passes (no sweep here).
 *
 * Redis's memory can be lost under running nodes (a restart, a FLUSHALL): a key claimed before
 * that could be claimed again. So the claim also reads when the memory began (a marker key,
 * set again by the first claim after a loss), and a key issued before then (MEMORY_SLACK_MS) is refused with
 * ERR_UNAVAILABLE instead of claimed: the caller signs again and is served, a replay is not.
 *
 * A claim that cannot be answered (Redis down, timeout) rejects with ERR_UNAVAILABLE: it is
 * never taken as a win, which would let a replay through, nor as a loss, which would call a
 * genuine request a replay. The REST layer answers 503 with Retry-After.
 */
import type { Redis } from 'ioredis';
import { SealPushError } from '../../domain/errors.js';
import type { NonceCache } from '../../domain/ports/nonce-cache.js';
import type { Clock } from '../../domain/ports/runtime.js';
import { redisCall } from './connection.js';

export interface RedisNonceCacheOptions {
  /** Prepended to every key. Default `sealpush:nonce:`. */
  readonly keyPrefix?: string;
  /** Default: Date.now. */
  readonly clock?: Clock;
}

/**
 * KEYS[1] the nonce, KEYS[2] the memory marker; ARGV[1] ttl ms, ARGV[2] now ms, ARGV[3] the
 * key's issue time plus MEMORY_SLACK_MS ('' for none). The marker holds when this Redis's memory of nonces began:
 * it has no ttl, so a restart or a FLUSHALL is the only way it goes, and the first claim after
 * sets it again. Returns 1 won, 0 taken, -1 issued before the memory began (not claimed).
 */
const CLAIM = `local since = redis.call('GET', KEYS[2])
if not since then
  since = ARGV[2]
  redis.call('SET', KEYS[2], since)
end
if ARGV[3] ~= '' and tonumber(ARGV[3]) < tonumber(since) then return -1 end
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 1 end
return 0`;

interface ClaimScript {
  sealpushClaimNonce(key: string, marker: string, ttlMs: number, nowMs: number, issuedAtMs: string): Promise<number>;
}

const systemClock: Clock = { now: () => Date.now() };

/**
 * A key issued up to this long before the memory began is still claimed: signed timestamps are
 * whole seconds and a request takes a while to arrive, so without it the first requests after
 * every restart would be refused. The price: a request signed in the last 2 s before Redis lost
 * its memory can be replayed once.
 */
export const MEMORY_SLACK_MS = 2000;

export class RedisNonceCache implements NonceCache {
  readonly #redis: Redis & ClaimScript;
  readonly #prefix: string;
  readonly #clock: Clock;

  constructor(redis: Redis, options: RedisNonceCacheOptions = {}) {
    redis.defineCommand('sealpushClaimNonce', { numberOfKeys: 2, lua: CLAIM });
    this.#redis = redis as Redis & ClaimScript;
    this.#prefix = options.keyPrefix ?? 'sealpush:nonce:';
    this.#clock = options.clock ?? systemClock;
  }

  /** The marker's key: `@` is in no claimed key (app ids, `jwt:`, `ticket:`), so no nonce can take it. */
  get memoryMarker(): string {
    return `${this.#prefix}@since`;
  }

  async claim(key: string, ttlSeconds: number, _owner?: string, issuedAtMs?: number): Promise<boolean> {
    if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
      throw new RangeError(`RedisNonceCache: ttlSeconds must be a positive number, got ${ttlSeconds}`);
    }
    const ttlMs = Math.ceil(ttlSeconds * 1000);
    const issued = issuedAtMs === undefined ? '' : String(Math.floor(issuedAtMs) + MEMORY_SLACK_MS);
    const reply = await redisCall('nonce claim', () => this.#redis.sealpushClaimNonce(this.#prefix + key, this.memoryMarker, ttlMs, this.#clock.now(), issued));
    if (reply === -1) {
      throw new SealPushError('ERR_UNAVAILABLE', 'The replay cache was emptied (Redis restarted or flushed) after this request was signed; sign it again');
    }
    return reply === 1;
  }

  /** Resolves when Redis answers a PING in time; rejects with ERR_UNAVAILABLE otherwise. */
  async ping(): Promise<void> {
    await redisCall('ping', () => this.#redis.ping());
  }

  /** The connection is shared with the bus: whoever opened it closes it. */
  async close(): Promise<void> {}
}
