import { SealPushError, errorMessage } from '../errors.js';
import type { Store } from '../ports/store.js';
import type { PayloadCipher } from '../ports/payload-cipher.js';
import { NO_METRICS, type Metrics } from '../ports/metrics.js';
import type { Clock, Defer, Logger } from '../ports/runtime.js';
import type { AckReceipt, DeliverableMessage } from '../types.js';
import type { CommitQueue } from './commit-queue.js';
import { payloadAad } from './payload-aad.js';

/** Where a stream writes: one connected client's sealed channel. */
export interface DeliverySink {
  /** Seals the messages (in seq order) into one frame and writes it. */
  send(messages: readonly DeliverableMessage[]): void;
  /** False once the socket holds its high-water mark of unsent bytes. */
  writable(): boolean;
}

export interface DeliveryLimits {
  /** Target size of one DELIVER frame's message data; a larger single message goes alone. Default 65536. */
  readonly frameDataBytes: number;
  /** Messages read from the store per catch-up query. Default 256. */
  readonly pageSize: number;
  /** Live messages held in memory while the socket is full; past it they wait in the store. Default 1024. */
  readonly maxLiveQueue: number;
  /**
   * Bytes of message data held so, the other bound: past it too they wait in the store, so a
   * client that stops reading costs this much memory, not maxLiveQueue of the largest messages.
   * Default 1048576.
   */
  readonly maxLiveQueueBytes: number;
}

export const DEFAULT_DELIVERY_LIMITS: DeliveryLimits = { frameDataBytes: 65_536, pageSize: 256, maxLiveQueue: 1024, maxLiveQueueBytes: 1_048_576 };

export interface DeliveryDeps {
  readonly store: Pick<Store, 'pendingMessages' | 'lastSeqs'>;
  /** The connected client's own at-rest cipher (ClientCiphers), made once per connection. */
  readonly payloads: PayloadCipher;
  readonly commits: CommitQueue;
  readonly clock: Clock;
  readonly defer: Defer;
  readonly logger: Logger;
  readonly limits: DeliveryLimits;
  /** Told of each frame sent and each ACK's new messages. Default: none. */
  readonly metrics?: Metrics;
}

/**
 * Delivers one connected client's messages in seq order, each once per connection.
 *
 * It starts by catching up from the store (everything pending after the resume cursor),
 * then goes live: messages committed while it runs are offered to it directly and sent
 * without reading the store back. Any doubt (a seq gap, a full socket with a long queue)
 * sends it back to the store, which is the source of truth. Several messages go out sealed
 * together in one frame, up to `frameDataBytes`.
 */
export class DeliveryStream {
  /** Highest seq written to the sink (or already held by the client). */
  private sentUpTo: number;
  private mode: 'catchup' | 'live' = 'catchup';
  private reading = false;
  /** Live messages not yet written, seq ascending, all > sentUpTo. */
  private queue: DeliverableMessage[] = [];
  /** In live mode, the seq the next offer must have; null while catching up. */
  private expectNext: number | null = null;
  private scheduled = false;
  private stopped = false;
  /** Highest seq acked on this connection (or held by the client when it connected). */
  private ackedUpTo: number;
  /** Highest last seq `recheck` was told of. */
  private lastSeqSeen = 0;
  /**
   * A last seq that a finished catch-up read covers: every message up to it was sent or is no
   * longer pending (acked elsewhere, expired). `recheck` asks the store again only past it.
   */
  private storeCoveredUpTo = 0;
  /** Seqs sent on this connection, not acked yet from `unackedFrom` on: how many messages an ACK covers. */
  private sentSeqs: number[] = [];
  private unackedFrom = 0;
  private readonly metrics: Metrics;

  /**
   * `cursor` is the highest seq the client already holds. A `fresh` client was created by
   * this very handshake: nobody could address it before, so there is nothing to catch up.
   */
  constructor(
    private readonly appId: string,
    readonly clientId: string,
    cursor: number,
    private readonly sink: DeliverySink,
    private readonly deps: DeliveryDeps,
    fresh = false,
  ) {
    this.sentUpTo = cursor;
    this.ackedUpTo = cursor;
    this.metrics = deps.metrics ?? NO_METRICS;
    if (fresh) {
      this.mode = 'live';
      this.expectNext = cursor + 1;
    }
  }

  start(): void {
    if (this.mode === 'catchup') this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.sentSeqs = [];
    this.unackedFrom = 0;
  }

  /** Newly committed messages for this client, in seq order. */
  offer(messages: readonly DeliverableMessage[]): void {
    if (this.stopped) return;
    if (this.mode === 'catchup' && !this.reading) {
      // Committed, so the next store read finds it; holding it here would only cost memory.
      this.schedule();
      return;
    }
    for (const message of messages) {
      const last = this.queue.length > 0 ? this.queue[this.queue.length - 1]!.seq : this.sentUpTo;
      if (message.seq <= last) continue;
      if (this.mode === 'live' && this.expectNext !== null && message.seq !== this.expectNext) {
        this.fallBackToStore();
        return;
      }
      this.queue.push(message);
      this.expectNext = message.seq + 1;
    }
    if (this.mode === 'live' && !this.sink.writable() && this.queueOverLimits()) {
      this.fallBackToStore();
      return;
    }
    // Live: a commit hands each client all its new messages in one offer, so they go out now,
    // sealed together, without a trip through the event loop per client.
    if (this.mode === 'live') this.sendQueued();
    else this.schedule();
  }

  /** The sink can take more again. */
  drained(): void {
    this.schedule();
  }

  /**
   * The client handed every message up to `seq` to its application. Acking what was never
   * sent on this connection (or before it) is a protocol violation. `receipt`, a signed ACK's,
   * is committed with the mark.
   */
  acked(seq: number, receipt?: AckReceipt): void {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > this.sentUpTo) {
      throw new SealPushError('ERR_PROTOCOL', 'ACK for a sequence number that was never delivered');
    }
    // A cohort client repeats its ACK every tick: only a higher seq is news worth a write.
    if (seq > this.ackedUpTo) {
      this.ackedUpTo = seq;
      this.deps.commits.markAcked(this.clientId, seq, receipt);
      this.countAcked(seq);
    }
  }

  private countAcked(seq: number): void {
    const seqs = this.sentSeqs;
    let from = this.unackedFrom;
    while (from < seqs.length && seqs[from]! <= seq) from++;
    if (from > this.unackedFrom) this.metrics.acked(from - this.unackedFrom);
    if (from === seqs.length) {
      seqs.length = 0;
      from = 0;
    } else if (from >= 1024) {
      seqs.splice(0, from);
      from = 0;
    }
    this.unackedFrom = from;
  }

  /**
   * The periodic catch-up (catch-up.ts) read that the store has assigned this client seqs up
   * to `lastSeq`. A live stream that neither sent nor holds that seq missed its offer (a bus
   * envelope lost on the way to this node, with no later one to reveal the gap): it reads the
   * store. One waiting in catch-up after a failed read tries again. A message whose envelope
   * is merely still in flight costs one store read; the envelope is then dropped as old. A
   * last seq that an earlier read already covered (its message expired unsent, or was acked
   * on the client's newer connection elsewhere) is not read for again.
   */
  recheck(lastSeq: number): void {
    if (this.stopped || this.reading) return;
    const held = this.queue.length > 0 ? this.queue[this.queue.length - 1]!.seq : this.sentUpTo;
    if (lastSeq <= Math.max(held, this.storeCoveredUpTo)) return;
    this.lastSeqSeen = Math.max(this.lastSeqSeen, lastSeq);
    if (this.mode === 'live') this.fallBackToStore();
    else this.schedule();
  }

  private fallBackToStore(): void {
    this.mode = 'catchup';
    this.queue = [];
    this.expectNext = null;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.deps.defer(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped) return;
    if (this.mode === 'live') {
      this.sendQueued();
    } else if (!this.reading && this.sink.writable()) {
      void this.catchUp();
    }
  }

  private sendQueued(): void {
    while (this.queue.length > 0 && this.sink.writable()) {
      const frame = this.takeFrame();
      this.write(frame);
    }
  }

  private takeFrame(): DeliverableMessage[] {
    let bytes = 0;
    let count = 0;
    for (const message of this.queue) {
      if (count > 0 && bytes + message.data.length > this.deps.limits.frameDataBytes) break;
      bytes += message.data.length;
      count++;
    }
    return this.queue.splice(0, count);
  }

  /** Whether the live queue holds more than maxLiveQueue messages or maxLiveQueueBytes of data. */
  private queueOverLimits(): boolean {
    const { maxLiveQueue, maxLiveQueueBytes } = this.deps.limits;
    if (this.queue.length > maxLiveQueue) return true;
    let bytes = 0;
    for (const message of this.queue) if ((bytes += message.data.length) > maxLiveQueueBytes) return true;
    return false;
  }

  private write(frame: readonly DeliverableMessage[]): void {
    this.sink.send(frame);
    this.sentUpTo = frame[frame.length - 1]!.seq;
    this.deps.commits.markDelivered(this.clientId, this.sentUpTo);
    this.metrics.delivered(frame.length);
    // Latency is live delivery's: a catch-up read's messages waited for their client to connect.
    const now = this.mode === 'live' ? this.deps.clock.now() : 0;
    for (const message of frame) {
      this.sentSeqs.push(message.seq);
      if (now > 0) this.metrics.deliveryLatency(Math.max(0, now - message.createdAt) / 1000);
    }
  }

  private async catchUp(): Promise<void> {
    const { store, clock, limits, logger } = this.deps;
    this.reading = true;
    // Seen before this read began, so committed before it: a read that reaches the end covers it.
    const covers = this.lastSeqSeen;
    // Offers that arrive while the store is read are kept, and sent after the page if newer.
    this.queue = [];
    this.expectNext = null;
    let page;
    try {
      page = await store.pendingMessages(this.clientId, this.sentUpTo, limits.pageSize, clock.now());
    } catch (err) {
      this.reading = false;
      logger.warn({ clientId: this.clientId, err: errorMessage(err) }, 'catch-up read failed');
      return; // the next offer, drain or reconnect tries again
    }
    this.reading = false;
    if (this.stopped) return;
    const offeredDuringRead = this.queue;
    this.queue = this.openPage(page);
    while (this.queue.length > 0 && this.sink.writable()) this.write(this.takeFrame());
    const lastRow = page[page.length - 1];
    if (this.queue.length === 0 && lastRow) {
      // Rows that failed to open were skipped; never read them again.
      this.sentUpTo = Math.max(this.sentUpTo, lastRow.seq);
    }
    if (page.length < limits.pageSize && this.queue.length === 0) {
      // Caught up: the store held everything up to sentUpTo, so the next live message must
      // be sentUpTo + 1. Offers made meanwhile are gap-checked like any live offer: a lost
      // envelope sends the stream back to the store instead of letting a cumulative ACK
      // cover a message that was never sent.
      this.mode = 'live';
      this.queue = [];
      this.expectNext = this.sentUpTo + 1;
      this.storeCoveredUpTo = Math.max(this.storeCoveredUpTo, covers);
      this.offer(offeredDuringRead);
      this.sendQueued();
    } else {
      // More in the store, or the socket is full: read again from sentUpTo once it can take more.
      this.queue = [];
      if (this.sink.writable()) this.schedule();
    }
  }

  private openPage(page: Awaited<ReturnType<Store['pendingMessages']>>): DeliverableMessage[] {
    const out: DeliverableMessage[] = [];
    for (const row of page) {
      try {
        const data = this.deps.payloads.open(row.payload, payloadAad(this.appId, this.clientId, row.id));
        out.push({ seq: row.seq, id: row.id, createdAt: row.createdAt, data });
      } catch {
        // An unreadable payload (altered in the database) is skipped, never sent as garbage.
        this.deps.logger.error({ clientId: this.clientId, messageId: row.id }, 'stored payload failed to open; skipped');
      }
    }
    return out;
  }
}
