export interface ReconnectOptions {
  /** First delay before reconnecting. Default 250 ms. */
  readonly minDelayMs?: number;
  /**
   * Longest delay between attempts. Default 10000 ms: once a server is back, a client waits
   * at most this long (5 s on average, with the jitter) before it tries again. docs/sdk.md
   * compares what other push clients do.
   */
  readonly maxDelayMs?: number;
}

export const DEFAULT_MIN_DELAY_MS = 250;
export const DEFAULT_MAX_DELAY_MS = 10_000;

/** Exponential backoff with full jitter, so that many clients do not reconnect in step. */
export class Backoff {
  private attempt = 0;
  private readonly min: number;
  private readonly max: number;

  constructor(options: ReconnectOptions = {}) {
    this.min = options.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
    this.max = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  }

  next(): number {
    const ceiling = Math.min(this.max, this.min * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return this.min / 2 + Math.random() * (ceiling - this.min / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
