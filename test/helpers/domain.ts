/**
 * A domain test bench: the use cases wired to the REAL SQLite store in a temp directory,
 * with a manual clock and a manual defer queue, so that tests decide when each turn runs.
 *
 * Why `settle()` is not a sleep: better-sqlite3 is synchronous, so every store promise is
 * already resolved when it is returned. One `setImmediate` turn therefore runs every
 * microtask chain the domain started; nothing real is awaited and no timer is involved.
 */
import type { Metrics } from '../../src/domain/ports/metrics.js';
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { createPayloadKeyring } from '../../src/crypto/node/at-rest.js';
import { openSqliteStore, type SqliteStore } from '../../src/drivers/store/sqlite/store.js';
import type { ClientLastSeq, CommitResult, WriteBatch } from '../../src/domain/ports/message-log.js';
import type { Store } from '../../src/domain/ports/store.js';
import type { PayloadCipher, PayloadKeyring } from '../../src/domain/ports/payload-cipher.js';
import type { Clock, Defer, Logger } from '../../src/domain/ports/runtime.js';
import { DIRECT_DELIVERY } from '../../src/domain/delivery-settings.js';
import { DEFAULT_PUBLISH_LIMITS, type PublishLimits } from '../../src/domain/publish-request.js';
import type { Client, DeliverableMessage, SealedPending } from '../../src/domain/types.js';
import { ClientCiphers } from '../../src/domain/usecases/client-ciphers.js';
import { CommitQueue, type CommitSpacing, type PublishedHandler } from '../../src/domain/usecases/commit-queue.js';
import type { DeliveredHold } from '../../src/domain/usecases/pending-marks.js';
import { Forgetting } from '../../src/domain/usecases/forget.js';
import type { DeliverySink } from '../../src/domain/usecases/delivery-stream.js';
import { Publisher } from '../../src/domain/usecases/publisher.js';
import { Sessions } from '../../src/domain/usecases/sessions.js';

export const T0 = 1_700_000_000_000;

export class ManualClock implements Clock {
  constructor(public ms = T0) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** One event-loop turn: every already-resolved promise chain runs before it ends. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A `Defer` that only queues; the test runs the queue when it chooses. */
export class DeferQueue {
  private tasks: (() => void)[] = [];
  readonly defer: Defer = (fn) => {
    this.tasks.push(fn);
  };

  get size(): number {
    return this.tasks.length;
  }

  /** Runs the queued tasks, and any they queue, until none is left; returns how many ran. */
  runAll(): number {
    let ran = 0;
    while (this.tasks.length > 0) {
      this.tasks.shift()!();
      if (++ran > 100_000) throw new Error('deferred work keeps rescheduling itself');
    }
    return ran;
  }

  /** Runs deferred work and the promise chains it starts until nothing is left to run. */
  async settle(): Promise<void> {
    for (let turn = 0; turn < 1000; turn++) {
      this.runAll();
      await nextTurn();
      if (this.tasks.length === 0) return;
    }
    throw new Error('deferred work did not settle: something reschedules itself forever');
  }
}

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string | undefined;
}

export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  debug(obj: object, msg?: string): void {
    this.entries.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg?: string): void {
    this.entries.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.entries.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.entries.push({ level: 'error', obj, msg });
  }
  child(): Logger {
    return this;
  }
}

/** A gate: promises that wait on it resolve when it is opened. */
class Gate {
  private waiters: (() => void)[] = [];
  private closed = false;
  close(): () => void {
    this.closed = true;
    return () => {
      this.closed = false;
      for (const waiter of this.waiters.splice(0)) waiter();
    };
  }
  pass(): Promise<void> {
    if (!this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * The real SQLite store, with its commits and catch-up reads counted and controllable. Every
 * other Store method goes to the real store, bound to it (the driver keeps its state in
 * #private fields, which only the real object holds); a subclass overrides any method it
 * wants to see (RacingStore in domain-master-key-rotation.test.ts).
 */
export interface InstrumentedStore extends Store {}
export class InstrumentedStore {
  /** Every batch handed to `commit`, in order, including ones made to fail. */
  readonly batches: WriteBatch[] = [];
  /** Calls to `pendingMessages`. */
  reads = 0;
  /** Calls to `lastSeqs`. */
  lastSeqReads = 0;
  /** Calls to `getClient`. */
  clientReads = 0;
  private failures: unknown[] = [];
  private readonly readGate = new Gate();
  private readonly commitGate = new Gate();

  constructor(readonly real: SqliteStore) {
    return new Proxy(this, {
      get: (self, name, receiver) => {
        if (Reflect.has(self, name)) return Reflect.get(self, name, receiver);
        const member: unknown = Reflect.get(real, name);
        return typeof member === 'function' ? member.bind(real) : member;
      },
    });
  }

  /** The next commit rejects with `err` and writes nothing. */
  failNextCommit(err: unknown = new Error('disk I/O error')): void {
    this.failures.push(err);
  }

  /**
   * Holds catch-up reads in flight: each read takes its snapshot when called, as the real
   * store does, but resolves only once the returned function is called.
   */
  holdReads(): () => void {
    return this.readGate.close();
  }

  /** Holds commits in flight: nothing is written until the returned function is called. */
  holdCommits(): () => void {
    return this.commitGate.close();
  }

  async commit(batch: WriteBatch): Promise<CommitResult> {
    this.batches.push(batch);
    await this.commitGate.pass();
    if (this.failures.length > 0) throw this.failures.shift();
    return this.real.commit(batch);
  }

  async pendingMessages(clientId: string, afterSeq: number, limit: number, now: number): Promise<SealedPending[]> {
    this.reads++;
    const rows = await this.real.pendingMessages(clientId, afterSeq, limit, now);
    await this.readGate.pass();
    return rows;
  }

  getClient(appId: string, clientId: string): Promise<Client | undefined> {
    this.clientReads++;
    return this.real.getClient(appId, clientId);
  }

  lastSeqs(clientIds: readonly string[]): Promise<ClientLastSeq[]> {
    this.lastSeqReads++;
    return this.real.lastSeqs(clientIds);
  }
}

/** What a transport would be: records every frame; `room` frames fit before it is full. */
export class RecordingSink implements DeliverySink {
  readonly frames: DeliverableMessage[][] = [];
  /** Frames it takes before `writable()` turns false; Infinity: never full. */
  room = Infinity;

  send(messages: readonly DeliverableMessage[]): void {
    this.frames.push([...messages]);
    this.room--;
  }
  writable(): boolean {
    return this.room > 0;
  }
  /** Every seq sent, in send order. */
  seqs(): number[] {
    return this.frames.flat().map((m) => m.seq);
  }
  /** Every message's data as text, in send order. */
  texts(): string[] {
    return this.frames.flat().map((m) => new TextDecoder().decode(m.data));
  }
}

/** A 32-byte static key that differs per `n`. */
export function staticKey(n: number): Uint8Array {
  const bytes = new Uint8Array(32).fill(n);
  bytes[0] = 0x5a;
  return bytes;
}

export interface WorldOptions {
  readonly maxBatchMessages?: number;
  readonly limits?: PublishLimits;
  /** Given to the commit queue (default: none). */
  readonly metrics?: Metrics;
  /** Given to the commit queue (default: no spacing). */
  readonly spacing?: CommitSpacing;
  /** Given to the commit queue (default: delivered marks are not held). */
  readonly holdDelivered?: DeliveredHold;
}

/** The domain on a real store in a temp directory; removed when the test ends. */
export class DomainWorld {
  readonly clock = new ManualClock();
  readonly deferred = new DeferQueue();
  readonly logger = new RecordingLogger();
  /** The node's payload key (as the server keeps it, unwrapped), and the keyring on it. */
  readonly payloadKey = new Uint8Array(randomBytes(32));
  readonly keyring: PayloadKeyring = createPayloadKeyring(this.payloadKey);
  readonly store: InstrumentedStore;
  readonly ciphers: ClientCiphers;
  readonly forgetting: Forgetting;
  readonly commits: CommitQueue;
  readonly sessions: Sessions;
  readonly publisher: Publisher;
  /** Where committed messages go live; the default drops them. Tests replace it. */
  onPublished: PublishedHandler = () => {};
  private readonly dbPath: string;

  private constructor(
    private readonly dir: string,
    options: WorldOptions,
  ) {
    this.dbPath = join(dir, 'sealpush.db');
    this.store = new InstrumentedStore(openSqliteStore({ path: this.dbPath, durability: 'normal' }));
    this.commits = new CommitQueue(
      this.store,
      this.clock,
      this.deferred.defer,
      this.logger,
      (clientId, messages) => this.onPublished(clientId, messages),
      {
        ...(options.maxBatchMessages === undefined ? {} : { maxBatchMessages: options.maxBatchMessages }),
        ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
        ...(options.spacing === undefined ? {} : { spacing: options.spacing }),
        ...(options.holdDelivered === undefined ? {} : { holdDelivered: options.holdDelivered }),
      },
    );
    this.sessions = new Sessions(this.store, this.commits, this.clock);
    this.ciphers = new ClientCiphers(this.store, this.keyring);
    this.forgetting = new Forgetting(this.store, this.clock, this.ciphers);
    this.publisher = new Publisher({
      store: this.store,
      commits: this.commits,
      ciphers: this.ciphers,
      forgetting: this.forgetting,
      presence: { isOnline: async () => false },
      clock: this.clock,
      limits: options.limits ?? DEFAULT_PUBLISH_LIMITS,
    });
  }

  static open(t: TestContext, options: WorldOptions = {}): DomainWorld {
    const world = new DomainWorld(mkdtempSync(join(tmpdir(), 'sealpush-domain-')), options);
    t.after(() => world.close());
    return world;
  }

  /** Settles deferred work until `promise` is done; fails fast instead of hanging. */
  async run<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    promise.then(
      () => (done = true),
      () => (done = true),
    );
    for (let round = 0; !done; round++) {
      await this.deferred.settle();
      if (!done && round > 10) throw new Error('the promise is stuck: nothing left to run');
    }
    return promise;
  }

  async createApp(id: string): Promise<void> {
    await this.store.createApp({ id, name: id, wrappedSecret: new Uint8Array([1]), createdAt: T0, delivery: DIRECT_DELIVERY });
  }

  async createClient(appId: string, keyByte: number): Promise<Client> {
    const id = `client-${appId}-${keyByte}`;
    const keySalt = new Uint8Array(randomBytes(32));
    const client = await this.run(this.commits.addClient({ id, appId, staticKey: staticKey(keyByte), keySalt, createdAt: this.clock.now() }));
    if (client === null) throw new Error(`no app ${appId}`);
    return client;
  }

  /** The at-rest cipher of a stored client, made as a connection makes it. */
  async cipherOf(appId: string, clientId: string): Promise<PayloadCipher> {
    const client = await this.store.getClient(appId, clientId);
    if (!client) throw new Error(`no client ${clientId} in ${appId}`);
    return this.keyring.forClient(client);
  }

  /** Publishes `data` values to one client, each as its own item; returns the message ids. */
  async publish(appId: string, to: string, data: readonly unknown[]): Promise<string[]> {
    const results = await this.run(this.publisher.publish(appId, data.map((d) => ({ to, data: d }))));
    return results.map((r) => {
      if (!('id' in r)) throw new Error(`publish refused: ${r.error.code}`);
      return r.id;
    });
  }

  /** The stored payload, read around the port: null once erased. */
  storedPayload(appId: string, messageId: string): Uint8Array | null | undefined {
    const db = new Database(this.dbPath, { readonly: true });
    try {
      const row = db.prepare('SELECT payload FROM messages WHERE app_id = ? AND id = ?').get(appId, messageId) as
        | { payload: Buffer | null }
        | undefined;
      return row === undefined ? undefined : row.payload === null ? null : new Uint8Array(row.payload);
    } finally {
      db.close();
    }
  }

  /** Flips one ciphertext byte of a stored payload, as someone with write access to the file could. */
  tamperPayload(appId: string, messageId: string): void {
    const payload = this.storedPayload(appId, messageId);
    if (!payload) throw new Error(`no payload for ${messageId}`);
    const last = payload.length - 1;
    payload[last] = payload[last]! ^ 0x01; // the GCM tag
    const db = new Database(this.dbPath);
    try {
      db.prepare('UPDATE messages SET payload = ? WHERE app_id = ? AND id = ?').run(payload, appId, messageId);
    } finally {
      db.close();
    }
  }

  async close(): Promise<void> {
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** JSON text of `data` in UTF-8, as the publisher stores it. */
export function jsonBytes(data: unknown): number {
  return new TextEncoder().encode(JSON.stringify(data)).length;
}
