import type { SeqMark } from '../ports/message-log.js';
import type { AckReceipt } from '../types.js';

/**
 * How long a delivered mark waits for the ACK that would make it needless (the SDK acks within
 * its `ackDelayMs`, 100 ms by default). `wait` runs `fn` after `ms` (an unref'd setTimeout in
 * Node). A mark waits between `ms` and twice that: held marks age in two generations.
 */
export interface DeliveredHold {
  readonly ms: number;
  wait(ms: number, fn: () => void): void;
}

/** The marks one commit writes, taken out of the pending ones; `restore` puts them back when it fails. */
export interface TakenMarks {
  readonly delivered: SeqMark[];
  readonly acked: SeqMark[];
  readonly seen: string[];
  restore(): void;
}

/**
 * Delivered, acked and last-seen marks waiting for a commit. Marks are cumulative per client
 * (the highest seq wins) and idempotent, so merging them loses nothing; every signed ACK's
 * receipt is kept, in arrival order.
 *
 * An ack sets deliveredAt too, so a delivered mark that an ack covers would only rewrite the
 * message rows a second time. With a `hold`, delivered marks wait for their ACK before they
 * become writable: under a steady publish stream the next commit is a few ms away, and
 * without the hold nearly every message row would be written delivered, then acked.
 */
export class PendingMarks {
  /** Writable now. */
  private delivered = new Map<string, number>();
  /** Held: marked since the last tick (`young`) and in the tick before (`old`). */
  private young = new Map<string, number>();
  private old = new Map<string, number>();
  private aging = false;
  private acked = new Map<string, number>();
  private receipts = new Map<string, AckReceipt[]>();
  private seen = new Set<string>();

  /** `onWritable`: some mark became writable (the queue schedules a commit for it). */
  constructor(
    private readonly onWritable: () => void,
    private readonly hold?: DeliveredHold,
  ) {}

  /** Anything to write now (held delivered marks are not). */
  get writable(): boolean {
    return this.delivered.size > 0 || this.acked.size > 0 || this.seen.size > 0;
  }

  markDelivered(clientId: string, uptoSeq: number): void {
    if (!this.hold) {
      raise(this.delivered, clientId, uptoSeq);
      this.onWritable();
      return;
    }
    raise(this.young, clientId, uptoSeq);
    this.age();
  }

  /** `receipt`: the signed ACK that carried this mark, stored in the same commit. */
  markAcked(clientId: string, uptoSeq: number, receipt?: AckReceipt): void {
    raise(this.acked, clientId, uptoSeq);
    for (const marks of [this.young, this.old, this.delivered]) {
      if ((marks.get(clientId) ?? Infinity) <= uptoSeq) marks.delete(clientId);
    }
    if (receipt) {
      const list = this.receipts.get(clientId);
      if (list) list.push(receipt);
      else this.receipts.set(clientId, [receipt]);
    }
    this.onWritable();
  }

  markSeen(clientId: string): void {
    this.seen.add(clientId);
    this.onWritable();
  }

  /** Makes every held delivered mark writable at once (a flush before shutdown). */
  releaseHeld(): void {
    for (const marks of [this.old, this.young]) {
      for (const [clientId, seq] of marks) raise(this.delivered, clientId, seq);
      marks.clear();
    }
  }

  take(): TakenMarks {
    const { delivered, acked, receipts, seen } = this;
    this.delivered = new Map();
    this.acked = new Map();
    this.receipts = new Map();
    this.seen = new Set();
    return {
      // An ack sets deliveredAt too: a delivered mark it covers would only rewrite the rows.
      delivered: toMarks(delivered).filter((mark) => (acked.get(mark.clientId) ?? 0) < mark.uptoSeq),
      acked: toMarks(acked).map((mark) => {
        const held = receipts.get(mark.clientId);
        return held ? { ...mark, receipts: held } : mark;
      }),
      seen: [...seen],
      restore: () => {
        for (const [clientId, seq] of delivered) raise(this.delivered, clientId, seq);
        for (const [clientId, seq] of acked) raise(this.acked, clientId, seq);
        // Receipts that arrived meanwhile are newer: the failed batch's go before them.
        for (const [clientId, held] of receipts) this.receipts.set(clientId, [...held, ...(this.receipts.get(clientId) ?? [])]);
        for (const clientId of seen) this.seen.add(clientId);
      },
    };
  }

  /** Each tick, the old generation becomes writable and the young one grows old. */
  private age(): void {
    if (this.aging) return;
    this.aging = true;
    this.hold!.wait(this.hold!.ms, () => {
      this.aging = false;
      const ripe = this.old.size > 0;
      for (const [clientId, seq] of this.old) raise(this.delivered, clientId, seq);
      this.old = this.young;
      this.young = new Map();
      if (this.old.size > 0) this.age();
      if (ripe) this.onWritable();
    });
  }
}

function raise(marks: Map<string, number>, clientId: string, seq: number): void {
  const current = marks.get(clientId);
  if (current === undefined || seq > current) marks.set(clientId, seq);
}

function toMarks(marks: Map<string, number>): SeqMark[] {
  return [...marks].map(([clientId, uptoSeq]) => ({ clientId, uptoSeq }));
}
