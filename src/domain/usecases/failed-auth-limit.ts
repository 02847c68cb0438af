import { rateLimited, type RateLimit } from '../ports/rate-limit.js';
import type { Clock } from '../ports/runtime.js';

/**
 * Failed authentications per source address (config `failedAuthsPerSecondPerIp`). Each request
 * refused with an ERR_AUTH_* code spends one of its address's budget; once a take is refused,
 * every request from that address is refused with ERR_RATE_LIMITED (429, Retry-After) before
 * any signature or token work, until the wait the limit gave has passed.
 *
 * `check` costs a map lookup and no I/O, so it runs first on every request; only a failure
 * reaches the limit (a Redis round trip with several nodes). With Redis the failures of every
 * node count against one budget; each node learns an address is over it at that address's
 * next failure there.
 */
export class FailedAuthLimit {
  /** Address -> until when (ms) its requests are refused. Bounded: past `maxAddresses` the oldest goes. */
  private readonly refused = new Map<string, number>();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: Clock,
    private readonly maxAddresses = 100_000,
  ) {}

  /** Throws ERR_RATE_LIMITED while `address` is over its budget of failures. */
  check(address: string): void {
    const until = this.refused.get(address);
    if (until === undefined) return;
    const waitMs = until - this.clock.now();
    if (waitMs > 0) throw rateLimited(waitMs, 'Too many failed authentications from this address; retry after the time Retry-After gives');
    this.refused.delete(address);
  }

  /** A request from `address` failed authentication. */
  async failed(address: string): Promise<void> {
    const waitMs = await this.limit.take(address);
    if (waitMs === 0) return;
    this.refused.delete(address);
    this.refused.set(address, this.clock.now() + waitMs);
    if (this.refused.size > this.maxAddresses) this.refused.delete(this.refused.keys().next().value!);
  }
}
