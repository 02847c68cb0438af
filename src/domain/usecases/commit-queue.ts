import { SealPushError } from '../errors.js';
import type { MessageOutcome, MessageStore, NewClient, NewMessage, SeqMark, WriteBatch } from '../ports/message-store.js';
import type { Clock, Defer, Logger } from '../ports/runtime.js';
import type { Client, DeliverableMessage } from '../types.js';

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
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
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
 * with the next one, and a delivered mark that an ack already covers is not written at all.
 */
export class CommitQueue {
  private publishes: PendingPublish[] = [];
  private publishWaiters: Waiter<MessageOutcome>[] = [];
  private clients: NewClient[] = [];
  private clientWaiters: Waiter<Client>[] = [];
  private delivered = new Map<string, number>();
  private acked = new Map<string, number>();
  private seen = new Set<string>();
  private scheduled = false;
  private marksWaiting = false;
  private running: Promise<void> | null = null;
  private readonly maxBatch: number;
  private readonly delayMarks: (fn: () => void) => void;

  constructor(
    private readonly store: MessageStore,
    private readonly clock: Clock,
    private readonly defer: Defer,
    private readonly logger: Logger,
    private readonly onPublished: PublishedHandler,
    options: CommitQueueOptions = {},
  ) {
    this.maxBatch = options.maxBatchMessages ?? 5000;
    this.delayMarks = options.delayMarks ?? defer;
  }

  publish(items: readonly PendingPublish[]): Promise<MessageOutcome[]> {
    const outcomes = items.map(
      (item) =>
        new Promise<MessageOutcome>((resolve, reject) => {
          this.publishes.push(item);
          this.publishWaiters.push({ resolve, reject });
        }),
    );
    this.schedule();
    return Promise.all(outcomes);
  }

  addClient(client: NewClient): Promise<Client> {
    return new Promise<Client>((resolve, reject) => {
      this.clients.push(client);
      this.clientWaiters.push({ resolve, reject });
      this.schedule();
    });
  }

  markDelivered(clientId: string, uptoSeq: number): void {
    raise(this.delivered, clientId, uptoSeq);
    this.scheduleMarks();
  }

  markAcked(clientId: string, uptoSeq: number): void {
    raise(this.acked, clientId, uptoSeq);
    this.scheduleMarks();
  }

  markSeen(clientId: string): void {
    this.seen.add(clientId);
    this.scheduleMarks();
  }

  /** Resolves when everything queued so far is committed (or has failed). */
  async flush(): Promise<void> {
    while (this.running || this.hasWork()) {
      if (this.running) await this.running;
      else await this.runOnce();
    }
  }

  private hasWork(): boolean {
    return (
      this.publishes.length > 0 ||
      this.clients.length > 0 ||
      this.delivered.size > 0 ||
      this.acked.size > 0 ||
      this.seen.size > 0
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
    this.defer(() => {
      this.scheduled = false;
      if (this.running) return; // the running commit reschedules when it ends
      void this.runOnce();
    });
  }

  private runOnce(): Promise<void> {
    const run = this.commitNext().finally(() => {
      this.running = null;
      if (this.hasUrgentWork()) this.schedule();
      else if (this.hasWork()) this.scheduleMarks();
    });
    this.running = run;
    return run;
  }

  private hasUrgentWork(): boolean {
    return this.publishes.length > 0 || this.clients.length > 0;
  }

  private async commitNext(): Promise<void> {
    const publishes = this.publishes.splice(0, this.maxBatch);
    const publishWaiters = this.publishWaiters.splice(0, publishes.length);
    const clients = this.clients;
    const clientWaiters = this.clientWaiters;
    const delivered = this.delivered;
    const acked = this.acked;
    const seen = this.seen;
    this.clients = [];
    this.clientWaiters = [];
    this.delivered = new Map();
    this.acked = new Map();
    this.seen = new Set();

    const batch: WriteBatch = {
      clients,
      messages: publishes.map((p) => p.message),
      // An ack sets deliveredAt too: a delivered mark it covers would only rewrite the rows.
      delivered: toMarks(delivered).filter((mark) => (acked.get(mark.clientId) ?? 0) < mark.uptoSeq),
      acked: toMarks(acked),
      seen: [...seen],
      at: this.clock.now(),
    };
    let result;
    try {
      result = await this.store.commit(batch);
    } catch (err) {
      this.logger.error({ err: describe(err), messages: publishes.length }, 'commit failed');
      for (const [clientId, seq] of delivered) raise(this.delivered, clientId, seq);
      for (const [clientId, seq] of acked) raise(this.acked, clientId, seq);
      for (const clientId of seen) this.seen.add(clientId);
      const refusal = new SealPushError('ERR_UNAVAILABLE', 'The store could not commit; nothing was accepted');
      for (const waiter of publishWaiters) waiter.reject(refusal);
      for (const waiter of clientWaiters) waiter.reject(refusal);
      return;
    }
    this.announce(publishes, result.messages);
    result.messages.forEach((outcome, i) => publishWaiters[i]!.resolve(outcome));
    result.clients.forEach((client, i) => clientWaiters[i]!.resolve(client));
  }

  /** Hands the inserted messages to live delivery, grouped per client in seq order. */
  private announce(publishes: readonly PendingPublish[], outcomes: readonly MessageOutcome[]): void {
    const perClient = new Map<string, DeliverableMessage[]>();
    outcomes.forEach((outcome, i) => {
      if (outcome.kind !== 'inserted') return;
      const { message, data } = publishes[i]!;
      let list = perClient.get(message.clientId);
      if (!list) perClient.set(message.clientId, (list = []));
      list.push({ seq: outcome.seq, id: message.id, createdAt: message.createdAt, data });
    });
    for (const [clientId, messages] of perClient) {
      try {
        this.onPublished(clientId, messages);
      } catch (err) {
        // Live delivery is best effort: the messages are committed and go out on resume.
        this.logger.error({ err: describe(err), clientId }, 'live delivery failed');
      }
    }
  }
}

function raise(marks: Map<string, number>, clientId: string, seq: number): void {
  const current = marks.get(clientId);
  if (current === undefined || seq > current) marks.set(clientId, seq);
}

function toMarks(marks: Map<string, number>): SeqMark[] {
  return [...marks].map(([clientId, uptoSeq]) => ({ clientId, uptoSeq }));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
