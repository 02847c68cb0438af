import type { Clock } from './ports/runtime.js';

/**
 * Token buckets, one per key (an app id, a client address): `ratePerSecond` tokens a second,
 * at most `burst` saved up. `take` spends tokens or says how long to wait; it never blocks.
 * Keys are forgotten once their bucket is full again, so the map holds only recent callers;
 * past `maxKeys` the oldest are dropped (a dropped key starts with a full bucket).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    /** The most one `take` can ever spend. */
    readonly burst: number,
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('a rate limit needs a positive rate and a burst of at least 1');
  }

  /** Spends `cost` tokens of `key` and returns 0, or returns the ms until it could (spending nothing). */
  take(key: string, cost = 1): number {
    const now = this.clock.now();
    const bucket = this.buckets.get(key);
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
