/**
 * NonceCache on Redis, shared by every node: `SET <prefix><key> 1 NX PX <ttl>`, one atomic
 * command, so of any number of claims of one key from any nodes exactly one wins, and Redis
 * forgets the key when its ttl passes (no sweep here).
 *
 * A claim that cannot be answered (Redis down, timeout) rejects with ERR_UNAVAILABLE: it is
 * never taken as a win, which would let a replay through, nor as a loss, which would call a
 * genuine request a replay. The REST layer answers 503 with Retry-After.
 */
import type { Redis } from 'ioredis';
import type { NonceCache } from '../../domain/ports/nonce-cache.js';
import { redisCall } from './connection.js';

export interface RedisNonceCacheOptions {
  /** Prepended to every key. Default `sealpush:nonce:`. */
  readonly keyPrefix?: string;
}

export class RedisNonceCache implements NonceCache {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: RedisNonceCacheOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.keyPrefix ?? 'sealpush:nonce:';
  }

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
      throw new RangeError(`RedisNonceCache: ttlSeconds must be a positive number, got ${ttlSeconds}`);
    }
    const ttlMs = Math.ceil(ttlSeconds * 1000);
    const reply = await redisCall('nonce claim', () => this.#redis.set(this.#prefix + key, '1', 'PX', ttlMs, 'NX'));
    return reply === 'OK';
  }

  /** Resolves when Redis answers a PING in time; rejects with ERR_UNAVAILABLE otherwise. */
  async ping(): Promise<void> {
    await redisCall('ping', () => this.#redis.ping());
  }

  /** The connection is shared with the bus: whoever opened it closes it. */
  async close(): Promise<void> {}
}
