export interface ReconnectOptions {
  /** First delay before reconnecting. Default 250 ms. */
  readonly minDelayMs?: number;
  /** Longest delay between attempts. Default 30000 ms. */
  readonly maxDelayMs?: number;
}

/** Exponential backoff with full jitter, so that many clients do not reconnect in step. */
export class Backoff {
  private attempt = 0;
  private readonly min: number;
  private readonly max: number;

  constructor(options: ReconnectOptions = {}) {
    this.min = options.minDelayMs ?? 250;
    this.max = options.maxDelayMs ?? 30_000;
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
