/**
 * NonceCache in one process's memory: for the embedded single-node default. Nodes behind a
 * load balancer need a shared driver (Redis), or a replay sent to another node succeeds.
 */
import { SealPushError } from '../../domain/errors.js';
import type { NonceCache } from '../../domain/ports/nonce-cache.js';
import type { Clock } from '../../domain/ports/runtime.js';

export interface MemoryNonceCacheOptions {
  /**
   * Most keys held at once. Default 1_000_000 (roughly 150 MB at worst). When full of
   * unexpired keys, `claim` rejects with ERR_UNAVAILABLE rather than forget a key early:
   * forgetting would let a replay through, refusing only asks the caller to retry later.
   */
  readonly maxEntries?: number;
  /** How often expired keys are swept out. Default 10_000 ms. */
  readonly sweepIntervalMs?: number;
  /** Default: Date.now. */
  readonly clock?: Clock;
}

const systemClock: Clock = { now: () => Date.now() };

export class MemoryNonceCache implements NonceCache {
  /** key -> the time (ms) from which it may be claimed again. */
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #clock: Clock;
  #timer: NodeJS.Timeout | undefined;
  /** The earliest expiry left after the last sweep: no sweep can free anything before it. */
  #nextExpiry = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(options: MemoryNonceCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1_000_000;
    this.#clock = options.clock ?? systemClock;
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) {
      throw new RangeError(`MemoryNonceCache: maxEntries must be a positive integer, got ${this.#maxEntries}`);
    }
    const sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
    this.#timer = setInterval(() => this.sweep(), sweepIntervalMs);
    // The sweep only frees memory: it must never keep the process alive.
    this.#timer.unref();
  }

  /** How many keys are held (expired ones included until the next sweep). */
  get size(): number {
    return this.#expiries.size;
  }

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    if (this.#closed) throw new Error('MemoryNonceCache: claim after close');
    if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
      throw new RangeError(`MemoryNonceCache: ttlSeconds must be a positive number, got ${ttlSeconds}`);
    }
    const now = this.#clock.now();
    const expiry = this.#expiries.get(key);
    if (expiry !== undefined && expiry > now) return false;
    if (expiry === undefined && this.#expiries.size >= this.#maxEntries) {
      if (now >= this.#nextExpiry) this.sweep();
      if (this.#expiries.size >= this.#maxEntries) {
        throw new SealPushError('ERR_UNAVAILABLE', 'The replay cache is full; retry later');
      }
    }
    // Delete first so that Map order stays roughly the order of expiry.
    this.#expiries.delete(key);
    const until = now + ttlSeconds * 1000;
    this.#expiries.set(key, until);
    if (until < this.#nextExpiry) this.#nextExpiry = until;
    return true;
  }

  /** Drops every expired key; returns how many. Runs on the timer; public for tests. */
  sweep(): number {
    const now = this.#clock.now();
    let removed = 0;
    let next = Number.POSITIVE_INFINITY;
    for (const [key, expiry] of this.#expiries) {
      if (expiry <= now) {
        this.#expiries.delete(key);
        removed += 1;
      } else if (expiry < next) {
        next = expiry;
      }
    }
    this.#nextExpiry = next;
    return removed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#expiries.clear();
  }
}
