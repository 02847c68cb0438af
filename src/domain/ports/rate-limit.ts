import { SealPushError } from '../errors.js';

/**
 * A rate limit: a budget of `ratePerSecond` per key (an app id, a client address), of which at
 * most `burst` can be spent at once. One instance is one named limit (publishes per app,
 * upgrades per address...), built from its config options by compose/coordination.ts.
 *
 * Contract, for every driver:
 * - `take(key, cost)` spends `cost` of the key's budget and resolves 0, or spends nothing and
 *   resolves the milliseconds (at least 1) until a take of that cost could pass. It is all or
 *   nothing: a refused take leaves the budget as it was. It never blocks waiting for budget.
 * - From a fresh key, `burst` takes of 1 pass and the next is refused; a cost above `burst`
 *   never passes. Keys are independent.
 * - Atomic: of concurrent takes of one key, no more pass than the budget holds (across nodes,
 *   for a shared driver: N nodes do not allow N times the limit).
 * - Over time a key passes at most about `ratePerSecond` a second. How exactly depends on the
 *   driver (memory: a token bucket; Redis: fixed windows, which may let up to twice a window's
 *   budget through across a window boundary): see each driver.
 * - It never rejects: a shared driver that cannot reach its store answers from its documented
 *   fallback, so a caller needs no error path and a store outage neither opens the limit
 *   silently nor refuses everything.
 */
export interface RateLimit {
  readonly ratePerSecond: number;
  /** The most one `take` can ever spend. */
  readonly burst: number;
  take(key: string, cost?: number): Promise<number>;
}

/** What a limit is built from. */
export interface RateLimitSpec {
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** A limit's two config options; `burst` absent: a second's worth of the rate (at least 1). */
export function rateLimitSpec(ratePerSecond: number, burst: number | undefined): RateLimitSpec {
  return { ratePerSecond, burst: burst ?? Math.max(1, Math.floor(ratePerSecond)) };
}

/** The refusal of a take that answered `waitMs`: ERR_RATE_LIMITED, Retry-After in whole seconds (at least 1). */
export function rateLimited(waitMs: number, message?: string): SealPushError {
  return new SealPushError('ERR_RATE_LIMITED', message, Math.max(1, Math.ceil(waitMs / 1000)));
}

/**
 * Spends one of the app's reads (`limits.readsPerSecondPerApp`, shared by every signed read
 * route), or refuses with ERR_RATE_LIMITED having spent nothing. No limit: always admitted.
 */
export async function admitRead(limit: RateLimit | undefined, appId: string): Promise<void> {
  const waitMs = (await limit?.take(appId)) ?? 0;
  if (waitMs > 0) throw rateLimited(waitMs, 'This app reads more per second than its limit allows');
}
