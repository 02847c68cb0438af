import { SealPushError, errorMessage } from '../errors.js';
import type { MessageOutcome, NewClient, NewMessage, WriteBatch } from '../ports/message-log.js';
import type { MessageLog } from '../ports/message-log.js';
import type { Clock, Defer, Logger } from '../ports/runtime.js';
import { NO_METRICS, type Metrics } from '../ports/metrics.js';
import type { AckReceipt, Client, DeliverableMessage } from '../types.js';
import { overflowEvent, type AuditEvent } from '../audit.js';
import { PendingMarks, type DeliveredHold } from './pending-marks.js';

/** A message to commit, with its data in the clear for live delivery after the commit. */
export interface PendingPublish {
  readonly message: NewMessage;
  readonly data: Uint8Array;
}

/** Called once per commit with the messages it inserted, per client, in seq order. */
export type PublishedHandler = (clientId: string, messages: DeliverableMessage[]) => void;

export interface CommitQueueOptions {
  /** Most messages in one transaction; more wait for the next one. Default 5000. */
  readonly maxBatchMessages?: number;
  /**
   * Runs `fn` once marks alone (delivered, acked, seen) have waited long enough to be worth
   * a commit of their own; the node passes a timer (`markFlushMs`, default 200 ms). Marks
   * also ride along with every publish commit. Default: as soon as a commit could run.
   */
  readonly delayMarks?: (fn: () => void) => void;
  /**
   * Most audit events (auth failures, replays) waiting for one commit. They come from anyone
   * who can reach the port, so they are bounded: past it they are counted, not kept, and the
   * commit records how many were left out (an 'audit-overflow' record). Default 1000.
   */
  readonly maxAuditEvents?: number;
  /** Told once per commit how long it took and how many messages it inserted. Default: none. */
  readonly metrics?: Metrics;
  /** Delivered marks wait this long for the ACK that makes them needless (PendingMarks). Default: none. */
  readonly holdDelivered?: DeliveredHold;
  /**
   * Group commit under a steady stream of small publishes: a commit starts no sooner than
   * `minIntervalMs` after the previous one started, so that the requests arriving meanwhile
   * share it and its fsync. A publish after a quiet spell commits at once, and a commit that
   * took longer than the interval is followed at once. Default: no spacing.
   */
  readonly spacing?: CommitSpacing;
}

export interface CommitSpacing {
  readonly minIntervalMs: number;
  /** A monotonic clock in ms (performance.now in Node). */
  now(): number;
  /** Runs `fn` after `ms` (setTimeout in Node). */
  wait(ms: number, fn: () => void): void;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

/**
 * One `publish` call: a single promise for all its items (not one per item: a batch request
 * of 100 messages would otherwise allocate 100 promises on the hot path). A call larger than
 * `maxBatchMessages` is committed in several turns; `next` is the first item not yet taken.
 */
interface PublishCall extends Waiter<MessageOutcome[]> {
  readonly items: readonly PendingPublish[];
  readonly outcomes: MessageOutcome[];
  next: number;
  settled: number;
  failed: boolean;
}

/** A run of one call's items inside one commit. */
interface Slice {
  readonly call: PublishCall;
  readonly from: number;
  readonly to: number;
}

/**
 * Group commit. Every write of the node (publishes, new clients, delivered and acked marks,
 * last-seen times) is queued and written in one transaction per turn of the event loop, so
 * a burst of requests shares one durable commit. A publish promise resolves only after its
 * commit is durable; commits run one at a time, in queue order.
 *
 * Marks (delivered, acked, seen) are cumulative and idempotent: if a commit fails they are
 * kept for the next one, and if the process dies they are recomputed on resume. So they
 * never trigger a commit of their own at once: they wait (see `delayMarks`) and ride along
 * with the next one, and a delivered mark that an ack already covers is not written at all
 * (PendingMarks).
 */
export class CommitQueue {
  /** Calls with items not yet taken into a commit, oldest first. */
  private calls: PublishCall[] = [];
  private clients: NewClient[] = [];
  private clientWaiters: Waiter<Client | null>[] = [];
  private readonly marks: PendingMarks;
  private audit: AuditEvent[] = [];
  private auditOmitted = 0;
  private scheduled = false;
  private marksWaiting = false;
  private running: Promise<void> | null = null;
  private readonly maxBatch: number;
  private readonly delayMarks: (fn: () => void) => void;
  private readonly maxAudit: number;
  private readonly metrics: Metrics;
  private readonly spacing: CommitSpacing | undefined;
  /** When the last commit started, on `spacing`'s clock. */
  private lastStartAt = -Infinity;
  /** Messages in `calls` not yet taken into a commit (the backlog `queueDepth` reports). */
  private waiting = 0;

  constructor(
    private readonly store: Pick<MessageLog, 'commit'>,
    private readonly clock: Clock,
    private readonly defer: Defer,
    private readonly logger: Logger,
    private readonly onPublished: PublishedHandler,
    options: CommitQueueOptions = {},
  ) {
    this.maxBatch = options.maxBatchMessages ?? 5000;
    this.delayMarks = options.delayMarks ?? defer;
    this.maxAudit = options.maxAuditEvents ?? 1000;
    this.metrics = options.metrics ?? NO_METRICS;
    this.spacing = options.spacing && options.spacing.minIntervalMs > 0 ? options.spacing : undefined;
    this.marks = new PendingMarks(() => this.scheduleMarks(), options.holdDelivered);
  }

  /** Messages accepted and not yet taken into a commit. */
  get queueDepth(): number {
    return this.waiting;
  }

  publish(items: readonly PendingPublish[]): Promise<MessageOutcome[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<MessageOutcome[]>((resolve, reject) => {
      this.calls.push({ items, outcomes: new Array<MessageOutcome>(items.length), next: 0, settled: 0, failed: false, resolve, reject });
      this.waiting += items.length;
      this.schedule();
    });
  }

  /** The client as committed (see CommitResult.clients): null when its app no longer exists. */
  addClient(client: NewClient): Promise<Client | null> {
    return new Promise<Client | null>((resolve, reject) => {
      this.clients.push(client);
      this.clientWaiters.push({ resolve, reject });
      this.schedule();
    });
  }

  markDelivered(clientId: string, uptoSeq: number): void {
    this.marks.markDelivered(clientId, uptoSeq);
  }

  /** `receipt`: the signed ACK that carried this mark, stored in the same commit. */
  markAcked(clientId: string, uptoSeq: number, receipt?: AckReceipt): void {
    this.marks.markAcked(clientId, uptoSeq, receipt);
  }

  markSeen(clientId: string): void {
    this.marks.markSeen(clientId);
  }

  /**
   * Queues an audit record that is not a store write of its own (an auth failure, a replay
   * refused): like a mark, it rides along with the next commit, or waits `delayMarks`.
   */
  recordAudit(event: AuditEvent): void {
    if (this.audit.length < this.maxAudit) this.audit.push(event);
    else this.auditOmitted++;
    this.scheduleMarks();
  }

  /** Resolves when everything queued so far is committed (or has failed). */
  async flush(): Promise<void> {
    this.marks.releaseHeld();
    while (this.running || this.hasWork()) {
      if (this.running) await this.running;
      else await this.runOnce();
    }
  }

  private hasWork(): boolean {
    return (
      this.calls.length > 0 ||
      this.clients.length > 0 ||
      this.marks.writable ||
      this.audit.length > 0 ||
      this.auditOmitted > 0
    );
  }

  private scheduleMarks(): void {
    if (this.marksWaiting || this.scheduled) return;
    this.marksWaiting = true;
    this.delayMarks(() => {
      this.marksWaiting = false;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(() => this.startWhenSpaced());
  }

  /** Starts the next commit, once `spacing` allows; `scheduled` stays true until then. */
  private startWhenSpaced(): void {
    if (this.running) {
      this.scheduled = false; // the running commit reschedules when it ends
      return;
    }
    const early = this.spacing ? this.lastStartAt + this.spacing.minIntervalMs - this.spacing.now() : 0;
    if (early > 0) {
      this.spacing!.wait(early, () => this.startWhenSpaced());
      return;
    }
    this.scheduled = false;
    void this.runOnce();
  }

  private runOnce(): Promise<void> {
    if (this.spacing) this.lastStartAt = this.spacing.now();
    const run = this.commitNext().finally(() => {
      this.running = null;
      if (this.hasUrgentWork()) this.schedule();
      else if (this.hasWork()) this.scheduleMarks();
    });
    this.running = run;
    return run;
  }

  private hasUrgentWork(): boolean {
    return this.calls.length > 0 || this.clients.length > 0;
  }

  private async commitNext(): Promise<void> {
    const { slices, messages } = this.takePublishes();
    const clients = this.clients;
    const clientWaiters = this.clientWaiters;
    const marks = this.marks.take();
    const audit = this.audit;
    const auditOmitted = this.auditOmitted;
    this.audit = [];
    this.auditOmitted = 0;
    this.clients = [];
    this.clientWaiters = [];

    const batch: WriteBatch = {
      clients,
      messages,
      delivered: marks.delivered,
      acked: marks.acked,
      seen: marks.seen,
      at: this.clock.now(),
      ...(audit.length > 0 || auditOmitted > 0 ? { audit: auditOmitted > 0 ? [...audit, overflowEvent(auditOmitted)] : audit } : {}),
    };
    let result;
    const startedAt = this.clock.now();
    try {
      result = await this.store.commit(batch);
    } catch (err) {
      this.logger.error({ err: errorMessage(err), messages: messages.length }, 'commit failed');
      marks.restore();
      // Kept for the next commit, still within the bound (what does not fit is counted).
      this.audit = [...audit, ...this.audit];
      this.auditOmitted += auditOmitted + Math.max(0, this.audit.length - this.maxAudit);
      this.audit.length = Math.min(this.audit.length, this.maxAudit);
      const refusal = new SealPushError('ERR_UNAVAILABLE', 'The store could not commit; nothing was accepted');
      for (const { call } of slices) {
        if (call.failed) continue;
        // The whole call is refused: its items not yet taken are never committed either.
        call.failed = true;
        if (this.calls.includes(call)) this.waiting -= call.items.length - call.next;
        this.calls = this.calls.filter((queued) => queued !== call);
        call.reject(refusal);
      }
      for (const waiter of clientWaiters) waiter.reject(refusal);
      return;
    }
    this.metrics.commitLatency((this.clock.now() - startedAt) / 1000);
    this.announce(slices, result.messages);
    let k = 0;
    for (const { call, from, to } of slices) {
      for (let i = from; i < to; i++) call.outcomes[i] = result.messages[k++]!;
      call.settled += to - from;
      if (call.settled === call.items.length && !call.failed) call.resolve(call.outcomes);
    }
    result.clients.forEach((client, i) => clientWaiters[i]!.resolve(client));
  }

  /** Takes up to maxBatch queued items, oldest call first, splitting a call only at the limit. */
  private takePublishes(): { slices: Slice[]; messages: NewMessage[] } {
    const slices: Slice[] = [];
    const messages: NewMessage[] = [];
    while (this.calls.length > 0 && messages.length < this.maxBatch) {
      const call = this.calls[0]!;
      const from = call.next;
      const to = Math.min(call.items.length, from + this.maxBatch - messages.length);
      for (let i = from; i < to; i++) messages.push(call.items[i]!.message);
      slices.push({ call, from, to });
      this.waiting -= to - from;
      call.next = to;
      if (to === call.items.length) this.calls.shift();
    }
    return { slices, messages };
  }

  /** Hands the inserted messages to live delivery, grouped per client in seq order. */
  private announce(slices: readonly Slice[], outcomes: readonly MessageOutcome[]): void {
    const perClient = new Map<string, DeliverableMessage[]>();
    let k = 0;
    let inserted = 0;
    for (const { call, from, to } of slices) {
      for (let i = from; i < to; i++) {
        const outcome = outcomes[k++]!;
        if (outcome.kind !== 'inserted') continue;
        inserted++;
        const { message, data } = call.items[i]!;
        let list = perClient.get(message.clientId);
        if (!list) perClient.set(message.clientId, (list = []));
        list.push({ seq: outcome.seq, id: message.id, createdAt: message.createdAt, data });
      }
    }
    if (inserted > 0) this.metrics.published(inserted);
    for (const [clientId, messages] of perClient) {
      try {
        this.onPublished(clientId, messages);
      } catch (err) {
        // Live delivery is best effort: the messages are committed and go out on resume.
        this.logger.error({ err: errorMessage(err), clientId }, 'live delivery failed');
      }
    }
  }
}

