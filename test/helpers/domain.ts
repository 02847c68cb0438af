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
import type { DeletedApp } from '../../src/domain/ports/app-registry.js';
import type { ForgetResult } from '../../src/domain/ports/client-registry.js';
import type { ClientLastSeq, CommitResult, WriteBatch } from '../../src/domain/ports/message-log.js';
import type { Store } from '../../src/domain/ports/store.js';
import type { AuditCheckpoint, AuditEvent, AuditHead, AuditRecord } from '../../src/domain/audit.js';
import type { PayloadCipher, PayloadKeyring } from '../../src/domain/ports/payload-cipher.js';
import type { Clock, Defer, Logger } from '../../src/domain/ports/runtime.js';
import { DIRECT_DELIVERY } from '../../src/domain/delivery-settings.js';
import { DEFAULT_PUBLISH_LIMITS, type PublishLimits } from '../../src/domain/publish-request.js';
import type {
  App,
  Client,
  DeliverableMessage,
  DeliverySettings,
  ForgottenClient,
  MessageRecord,
  SealedPending,
  StoredApp,
  StoredJwtKey,
  StoredAdminToken,
  AppPendingCount,
  StoredReceipt,
  StoredServerKey,
  WrappedBlob,
  WrappedColumn,
} from '../../src/domain/types.js';
import { ClientCiphers } from '../../src/domain/usecases/client-ciphers.js';
import { CommitQueue, type PublishedHandler } from '../../src/domain/usecases/commit-queue.js';
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
 * The real SQLite store, with its commits and catch-up reads counted and controllable.
 * (Wrapped by delegation: the driver keeps its state in #private fields.)
 */
export class InstrumentedStore implements Store {
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

  constructor(readonly real: SqliteStore) {}

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

  createApp(app: StoredApp): Promise<void> {
    return this.real.createApp(app);
  }
  getApp(appId: string): Promise<StoredApp | undefined> {
    return this.real.getApp(appId);
  }
  listApps(): Promise<App[]> {
    return this.real.listApps();
  }
  updateAppDelivery(appId: string, delivery: DeliverySettings): Promise<boolean> {
    return this.real.updateAppDelivery(appId, delivery);
  }
  setAppReceipts(appId: string, receipts: boolean): Promise<boolean> {
    return this.real.setAppReceipts(appId, receipts);
  }
  setAppSigningKey(appId: string, key: Uint8Array | null): Promise<boolean> {
    return this.real.setAppSigningKey(appId, key);
  }
  addJwtKey(key: StoredJwtKey): Promise<boolean> {
    return this.real.addJwtKey(key);
  }
  findJwtKey(issuer: string, kid: string): Promise<StoredJwtKey | undefined> {
    return this.real.findJwtKey(issuer, kid);
  }
  registerAckKey(appId: string, clientId: string, ackKey: Uint8Array): Promise<Uint8Array | undefined> {
    return this.real.registerAckKey(appId, clientId, ackKey);
  }
  getReceipt(appId: string, messageId: string): Promise<StoredReceipt | undefined> {
    return this.real.getReceipt(appId, messageId);
  }
  getClient(appId: string, clientId: string): Promise<Client | undefined> {
    this.clientReads++;
    return this.real.getClient(appId, clientId);
  }
  findClientByKey(appId: string, staticKey: Uint8Array): Promise<Client | undefined> {
    return this.real.findClientByKey(appId, staticKey);
  }
  setClientHpkeKey(appId: string, clientId: string, key: Uint8Array | null): Promise<boolean> {
    return this.real.setClientHpkeKey(appId, clientId, key);
  }
  getMessage(appId: string, messageId: string): Promise<MessageRecord | undefined> {
    return this.real.getMessage(appId, messageId);
  }
  countPending(clientId: string, now: number): Promise<number> {
    return this.real.countPending(clientId, now);
  }
  countPendingByApp(now: number): Promise<AppPendingCount[]> {
    return this.real.countPendingByApp(now);
  }
  addAdminToken(token: StoredAdminToken): Promise<boolean> {
    return this.real.addAdminToken(token);
  }
  findAdminToken(id: string): Promise<StoredAdminToken | undefined> {
    return this.real.findAdminToken(id);
  }
  listAdminTokens(): Promise<StoredAdminToken[]> {
    return this.real.listAdminTokens();
  }
  removeAdminToken(id: string): Promise<boolean> {
    return this.real.removeAdminToken(id);
  }
  lastSeqs(clientIds: readonly string[]): Promise<ClientLastSeq[]> {
    this.lastSeqReads++;
    return this.real.lastSeqs(clientIds);
  }
  expireMessages(now: number, limit: number): Promise<number> {
    return this.real.expireMessages(now, limit);
  }

  purgeMessages(createdBefore: number, limit: number): Promise<number> {
    return this.real.purgeMessages(createdBefore, limit);
  }
  forgetClient(clientId: string, appId: string | undefined, at: number, staleBefore?: number): Promise<ForgetResult | undefined> {
    return this.real.forgetClient(clientId, appId, at, staleBefore);
  }
  rotateAppSecret(appId: string, wrappedSecret: Uint8Array, previousNotAfter: number): Promise<boolean> {
    return this.real.rotateAppSecret(appId, wrappedSecret, previousNotAfter);
  }
  deleteApp(appId: string, at: number): Promise<DeletedApp | undefined> {
    return this.real.deleteApp(appId, at);
  }
  listClients(appId: string | undefined, limit: number): Promise<Client[]> {
    return this.real.listClients(appId, limit);
  }
  staleClients(seenBefore: number, limit: number): Promise<string[]> {
    return this.real.staleClients(seenBefore, limit);
  }
  forgottenAfter(afterSeq: number, limit: number): Promise<ForgottenClient[]> {
    return this.real.forgottenAfter(afterSeq, limit);
  }
  lastForgottenSeq(): Promise<number> {
    return this.real.lastForgottenSeq();
  }
  getServerKey(purpose: string): Promise<StoredServerKey | undefined> {
    return this.real.getServerKey(purpose);
  }
  putServerKeyIfAbsent(key: StoredServerKey): Promise<StoredServerKey> {
    return this.real.putServerKeyIfAbsent(key);
  }
  appendAudit(events: readonly AuditEvent[], at: number): Promise<void> {
    return this.real.appendAudit(events, at);
  }
  auditHead(): Promise<AuditHead> {
    return this.real.auditHead();
  }
  auditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return this.real.auditRecords(afterSeq, limit);
  }
  findAckRecord(clientId: string, seq: number): Promise<AuditRecord | undefined> {
    return this.real.findAckRecord(clientId, seq);
  }
  addAuditCheckpoint(checkpoint: AuditCheckpoint): Promise<boolean> {
    return this.real.addAuditCheckpoint(checkpoint);
  }
  auditCheckpoints(afterSeq: number, limit: number): Promise<AuditCheckpoint[]> {
    return this.real.auditCheckpoints(afterSeq, limit);
  }
  latestAuditCheckpoint(): Promise<AuditCheckpoint | undefined> {
    return this.real.latestAuditCheckpoint();
  }
  listServerKeys(purpose: string): Promise<StoredServerKey[]> {
    return this.real.listServerKeys(purpose);
  }
  addServerKeyVersion(key: StoredServerKey, previousNotAfter: number): Promise<boolean> {
    return this.real.addServerKeyVersion(key, previousNotAfter);
  }
  wrappedBlobs(column: WrappedColumn, after: readonly (string | number)[] | null, limit: number): Promise<WrappedBlob[]> {
    return this.real.wrappedBlobs(column, after, limit);
  }
  replaceWrappedBlobs(column: WrappedColumn, changes: Parameters<Store['replaceWrappedBlobs']>[1]): Promise<number> {
    return this.real.replaceWrappedBlobs(column, changes);
  }
  ping(): Promise<void> {
    return this.real.ping();
  }
  close(): Promise<void> {
    return this.real.close();
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
