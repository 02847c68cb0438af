/**
 * RateLimit in one process's memory: the single-node default, and what the Redis driver
 * answers from while Redis cannot be reached. Nodes behind a load balancer each count their
 * own here, so N nodes allow N times the limit: give them Redis (docs/deploy.md).
 */
import type { RateLimit, RateLimitSpec } from '../../domain/ports/rate-limit.js';
import type { Clock } from '../../domain/ports/runtime.js';

/**
 * Token buckets, one per key: `ratePerSecond` tokens a second, at most `burst` saved up.
 * Keys are forgotten once their bucket is full again, so the map holds only recent callers;
 * past `maxKeys` the oldest are dropped (a dropped key starts with a full bucket).
 */
export class MemoryRateLimit implements RateLimit {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    spec: RateLimitSpec,
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
  ) {
    this.ratePerSecond = spec.ratePerSecond;
    this.burst = spec.burst;
    if (!(this.ratePerSecond > 0) || !(this.burst >= 1)) throw new RangeError('a rate limit needs a positive rate and a burst of at least 1');
  }

  async take(key: string, cost = 1): Promise<number> {
    const now = this.clock.now();
    const bucket = this.buckets.get(key);
    // Only time forward refills: after a wall clock steps back (NTP), a bucket saved "in the
    // future" counts from now, rather than staying empty until the clock catches up with it.
    if (bucket && bucket.at > now) bucket.at = now;
    const tokens = bucket ? Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.ratePerSecond) / 1000) : this.burst;
    if (cost > tokens) {
      // More than a full bucket can never pass at once: wait for the whole burst, then retry smaller.
      const missing = Math.min(cost, this.burst) - tokens;
      return Math.max(1, Math.ceil((missing * 1000) / this.ratePerSecond));
    }
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: tokens - cost, at: now });
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return 0;
  }
}
