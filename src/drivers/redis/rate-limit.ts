/**
 * RateLimit on Redis, shared by every node (rate-limiter-flexible's RateLimiterRedis on the
 * node's command connection): N nodes allow the limit once, not N times.
 *
 * Counting: fixed windows of `windowSeconds` = max(1, ceil(burst / rate)) holding `points` =
 * max(burst, floor(rate x window)), one Redis key per limit and key that expires with its
 * window. The sustained rate is at most the configured one; within one window at most `points`
 * pass, so across a window boundary up to twice that can pass in a short time (a token bucket,
 * the memory driver, never lets more than `burst` through at once). The limit's options are in
 * its key prefix, so nodes configured differently (a rolling change) never share a counter.
 *
 * A refused take spends nothing: the counting script (a variant of the library's, given as its
 * `customIncrTtlLuaScript`) adds the cost only when it fits, in one atomic call.
 *
 * While Redis cannot be reached (down, not ready, or no answer within the connection's command
 * timeout) every take is answered by `fallback`, this node's own memory limit of the same
 * options, and the first such answer of an outage is logged: the limit then holds per node
 * (N nodes allow up to N times it) until Redis answers again. Not open (a flood is still
 * limited), not closed (an outage of Redis does not refuse every upgrade and request).
 */
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimit, RateLimitSpec } from '../../domain/ports/rate-limit.js';
import type { Logger } from '../../domain/ports/runtime.js';
import { errorMessage } from '../../domain/errors.js';

/** ARGV: cost, window seconds, points. Returns {what the count would be, ms left in the window}. */
const TAKE_IF_IT_FITS = `redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX')
local consumed = tonumber(redis.call('get', KEYS[1])) + tonumber(ARGV[1])
if consumed <= tonumber(ARGV[3]) then redis.call('incrby', KEYS[1], ARGV[1]) end
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], ARGV[2])
  ttl = 1000 * ARGV[2]
end
return {consumed, ttl}`;

export interface RedisRateLimitOptions extends RateLimitSpec {
  /** Names the limit in its keys and log lines, e.g. `publish`. */
  readonly name: string;
  /** Answers while Redis does not: the node's own memory limit with the same options. */
  readonly fallback: RateLimit;
  readonly logger?: Logger;
  /** Prepended to every key. Default `sealpush:limit:`. */
  readonly keyPrefix?: string;
}

export class RedisRateLimit implements RateLimit {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly windowSeconds: number;
  readonly points: number;
  readonly #limiter: RateLimiterRedis;
  readonly #options: RedisRateLimitOptions;
  #onFallback = false;

  constructor(redis: Redis, options: RedisRateLimitOptions) {
    const { ratePerSecond, burst, name } = options;
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('a rate limit needs a positive rate and a burst of at least 1');
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.windowSeconds = Math.max(1, Math.ceil(burst / ratePerSecond));
    this.points = Math.max(burst, Math.floor(ratePerSecond * this.windowSeconds));
    this.#options = options;
    this.#limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${options.keyPrefix ?? 'sealpush:limit:'}${name}:${this.points}/${this.windowSeconds}s`,
      points: this.points,
      duration: this.windowSeconds,
      // A connection that is not ready answers at once (from the fallback) instead of timing out.
      rejectIfRedisNotReady: true,
      customIncrTtlLuaScript: TAKE_IF_IT_FITS,
    });
  }

  async take(key: string, cost = 1): Promise<number> {
    if (cost > this.burst) return this.windowSeconds * 1000;
    try {
      await this.#limiter.consume(key, cost);
      this.shared();
      return 0;
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        this.shared();
        return Math.max(1, err.msBeforeNext);
      }
      this.onFallback(err);
      return this.#options.fallback.take(key, cost);
    }
  }

  private onFallback(err: unknown): void {
    if (this.#onFallback) return;
    this.#onFallback = true;
    this.#options.logger?.warn(
      { limit: this.#options.name, err: errorMessage(err) },
      'rate limit counted on this node only while Redis does not answer',
    );
  }

  private shared(): void {
    if (!this.#onFallback) return;
    this.#onFallback = false;
    this.#options.logger?.info({ limit: this.#options.name }, 'rate limit shared through Redis again');
  }
}
