/**
 * How many of something (open connections) each address holds, with a cap: the per-address
 * limits of the HTTP server (http/limits.ts) and of the WebSocket gateway share it. An address
 * is forgotten when its count drops to zero, so the map holds only addresses with something open.
 */
export class AddressCounts {
  private readonly counts = new Map<string, number>();

  constructor(
    /** The most one address may hold. */
    readonly max: number,
  ) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`a per-address cap must be a positive integer, got ${String(max)}`);
  }

  /** Takes one slot of `address`; false, taking nothing, when it holds `max` already. */
  acquire(address: string): boolean {
    const held = this.counts.get(address) ?? 0;
    if (held >= this.max) return false;
    this.counts.set(address, held + 1);
    return true;
  }

  /** Gives back one slot taken by `acquire`. */
  release(address: string): void {
    const held = this.counts.get(address) ?? 0;
    if (held <= 1) this.counts.delete(address);
    else this.counts.set(address, held - 1);
  }
}
