/**
 * The SQLite store on its own thread. better-sqlite3 is synchronous: on the node's event
 * loop every group commit (statements, WAL writes, fsync) would stall every connection and
 * request for its whole duration. Here the node's thread only posts the batch and goes on
 * serving; the worker commits and answers. Same contract as SqliteStore: calls are run one
 * at a time in the order they were made, so commits stay serial and in queue order. A batch
 * and its result cross packed and transferred (sqlite-thread-codec.ts): cloning thousands of
 * small message objects was most of what posting a commit cost the node's thread.
 *
 * If the worker dies, every pending and later call rejects; the node then reports not
 * ready and refuses publishes (ERR_UNAVAILABLE) rather than accept what it cannot commit.
 */
import { Worker } from 'node:worker_threads';
import type {
  ClientLastSeq,
  CommitResult,
  ForgetResult,
  MessageStore,
  WriteBatch,
} from '../../domain/ports/message-store.js';
import type { DeletedApp } from '../../domain/ports/app-admin-store.js';
import type { Logger } from '../../domain/ports/runtime.js';
import type { App, Client, DeliverySettings, ForgottenClient, MessageRecord, SealedPending, StoredApp, StoredJwtKey, StoredAdminToken, AppPendingCount, StoredReceipt, StoredServerKey, WrappedBlob, WrappedColumn } from '../../domain/types.js';
import type { AuditCheckpoint, AuditEvent, AuditHead, AuditRecord } from '../../domain/audit.js';
import type { SqliteStoreOptions } from './sqlite.js';
import { decodeCommitResult, encodeWriteBatch, type PackedCommitResult } from './sqlite-thread-codec.js';
import { failureOf, type StoreCall, type StoreReply } from './sqlite-thread-protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/**
 * The worker's entry. Built, it is the .js beside this file. Run from the TypeScript sources
 * (tests, bench, under tsx), it is the .ts, and a worker does not inherit the main thread's
 * module hooks: a small bootstrap registers tsx in the worker first.
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData });
  const entry = new URL('./sqlite-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

export class ThreadedSqliteStore implements MessageStore {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: Error | null = null;
  #closing = false;

  private constructor(worker: Worker, logger: Logger | undefined) {
    this.#worker = worker;
    worker.on('message', (reply: StoreReply) => {
      if (!('id' in reply)) return;
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if ('error' in reply) pending.reject(failureOf(reply));
      else pending.resolve(reply.result);
    });
    const fail = (err: Error): void => {
      if (this.#closing) return;
      this.#failure ??= err;
      logger?.error({ err: err.message }, 'sqlite store worker stopped');
      for (const pending of this.#pending.values()) pending.reject(this.#failure);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`sqlite store worker exited (${code})`)));
  }

  /** Starts the worker and resolves once it has opened (and migrated) the database. */
  static async open(options: Omit<SqliteStoreOptions, 'logger'> & { logger?: Logger }): Promise<ThreadedSqliteStore> {
    const { logger, ...workerOptions } = options;
    const worker = startWorker(workerOptions);
    await new Promise<void>((resolve, reject) => {
      const onReply = (reply: StoreReply): void => {
        if ('id' in reply) return;
        worker.off('message', onReply);
        if (reply.ready) resolve();
        else reject(failureOf(reply));
      };
      worker.on('message', onReply);
      worker.once('error', reject);
    });
    logger?.info({ path: options.path, durability: options.durability ?? 'full' }, 'sqlite store open on its own thread');
    return new ThreadedSqliteStore(worker, logger);
  }

  /**
   * Posts one call (`post` gets its id) and resolves with the worker's result. If `post`
   * throws (a batch that cannot be packed), the call rejects and the worker never sees it.
   */
  #send(post: (id: number) => void): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing) return Promise.reject(new Error('the sqlite store is closed'));
    const id = this.#nextId++;
    return new Promise<unknown>((resolve, reject) => {
      post(id);
      this.#pending.set(id, { resolve, reject });
    });
  }

  #call<T>(method: Exclude<StoreCall['method'], 'commit'>, args: unknown[]): Promise<T> {
    return this.#send((id) => this.#worker.postMessage({ id, method, args } satisfies StoreCall)) as Promise<T>;
  }

  commit(batch: WriteBatch): Promise<CommitResult> {
    return this.#send((id) => {
      const packed = encodeWriteBatch(batch);
      this.#worker.postMessage({ id, method: 'commit', batch: packed } satisfies StoreCall, [packed]);
    }).then((result) => decodeCommitResult(result as PackedCommitResult));
  }
  createApp(app: StoredApp): Promise<void> {
    return this.#call('createApp', [app]);
  }
  getApp(appId: string): Promise<StoredApp | undefined> {
    return this.#call('getApp', [appId]);
  }
  listApps(): Promise<App[]> {
    return this.#call('listApps', []);
  }
  updateAppDelivery(appId: string, delivery: DeliverySettings): Promise<boolean> {
    return this.#call('updateAppDelivery', [appId, delivery]);
  }
  setAppReceipts(appId: string, receipts: boolean): Promise<boolean> {
    return this.#call('setAppReceipts', [appId, receipts]);
  }
  setAppSigningKey(appId: string, key: Uint8Array | null): Promise<boolean> {
    return this.#call('setAppSigningKey', [appId, key]);
  }
  addJwtKey(key: StoredJwtKey): Promise<boolean> {
    return this.#call('addJwtKey', [key]);
  }
  findJwtKey(issuer: string, kid: string): Promise<StoredJwtKey | undefined> {
    return this.#call('findJwtKey', [issuer, kid]);
  }
  getClient(appId: string, clientId: string): Promise<Client | undefined> {
    return this.#call('getClient', [appId, clientId]);
  }
  setClientHpkeKey(appId: string, clientId: string, key: Uint8Array | null): Promise<boolean> {
    return this.#call('setClientHpkeKey', [appId, clientId, key]);
  }
  findClientByKey(appId: string, staticKey: Uint8Array): Promise<Client | undefined> {
    return this.#call('findClientByKey', [appId, staticKey]);
  }
  registerAckKey(appId: string, clientId: string, ackKey: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#call('registerAckKey', [appId, clientId, ackKey]);
  }
  getReceipt(appId: string, messageId: string): Promise<StoredReceipt | undefined> {
    return this.#call('getReceipt', [appId, messageId]);
  }
  getMessage(appId: string, messageId: string): Promise<MessageRecord | undefined> {
    return this.#call('getMessage', [appId, messageId]);
  }
  pendingMessages(clientId: string, afterSeq: number, limit: number, now: number): Promise<SealedPending[]> {
    return this.#call('pendingMessages', [clientId, afterSeq, limit, now]);
  }
  countPending(clientId: string, now: number): Promise<number> {
    return this.#call('countPending', [clientId, now]);
  }
  countPendingByApp(now: number): Promise<AppPendingCount[]> {
    return this.#call('countPendingByApp', [now]);
  }
  addAdminToken(token: StoredAdminToken): Promise<boolean> {
    return this.#call('addAdminToken', [token]);
  }
  findAdminToken(id: string): Promise<StoredAdminToken | undefined> {
    return this.#call('findAdminToken', [id]);
  }
  listAdminTokens(): Promise<StoredAdminToken[]> {
    return this.#call('listAdminTokens', []);
  }
  removeAdminToken(id: string): Promise<boolean> {
    return this.#call('removeAdminToken', [id]);
  }
  lastSeqs(clientIds: readonly string[]): Promise<ClientLastSeq[]> {
    return this.#call('lastSeqs', [clientIds]);
  }
  expireMessages(now: number, limit: number): Promise<number> {
    return this.#call('expireMessages', [now, limit]);
  }
  purgeMessages(createdBefore: number, limit: number): Promise<number> {
    return this.#call('purgeMessages', [createdBefore, limit]);
  }
  forgetClient(clientId: string, appId: string | undefined, at: number, staleBefore?: number): Promise<ForgetResult | undefined> {
    return this.#call('forgetClient', [clientId, appId, at, staleBefore]);
  }
  rotateAppSecret(appId: string, wrappedSecret: Uint8Array, previousNotAfter: number): Promise<boolean> {
    return this.#call('rotateAppSecret', [appId, wrappedSecret, previousNotAfter]);
  }
  deleteApp(appId: string, at: number): Promise<DeletedApp | undefined> {
    return this.#call('deleteApp', [appId, at]);
  }
  listClients(appId: string | undefined, limit: number): Promise<Client[]> {
    return this.#call('listClients', [appId, limit]);
  }
  staleClients(seenBefore: number, limit: number): Promise<string[]> {
    return this.#call('staleClients', [seenBefore, limit]);
  }
  forgottenAfter(afterSeq: number, limit: number): Promise<ForgottenClient[]> {
    return this.#call('forgottenAfter', [afterSeq, limit]);
  }
  lastForgottenSeq(): Promise<number> {
    return this.#call('lastForgottenSeq', []);
  }
  getServerKey(purpose: string): Promise<StoredServerKey | undefined> {
    return this.#call('getServerKey', [purpose]);
  }
  putServerKeyIfAbsent(key: StoredServerKey): Promise<StoredServerKey> {
    return this.#call('putServerKeyIfAbsent', [key]);
  }
  appendAudit(events: readonly AuditEvent[], at: number): Promise<void> {
    return this.#call('appendAudit', [events, at]);
  }
  auditHead(): Promise<AuditHead> {
    return this.#call('auditHead', []);
  }
  auditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return this.#call('auditRecords', [afterSeq, limit]);
  }
  findAckRecord(clientId: string, seq: number): Promise<AuditRecord | undefined> {
    return this.#call('findAckRecord', [clientId, seq]);
  }
  addAuditCheckpoint(checkpoint: AuditCheckpoint): Promise<boolean> {
    return this.#call('addAuditCheckpoint', [checkpoint]);
  }
  auditCheckpoints(afterSeq: number, limit: number): Promise<AuditCheckpoint[]> {
    return this.#call('auditCheckpoints', [afterSeq, limit]);
  }
  latestAuditCheckpoint(): Promise<AuditCheckpoint | undefined> {
    return this.#call('latestAuditCheckpoint', []);
  }
  listServerKeys(purpose: string): Promise<StoredServerKey[]> {
    return this.#call('listServerKeys', [purpose]);
  }
  addServerKeyVersion(key: StoredServerKey, previousNotAfter: number): Promise<boolean> {
    return this.#call('addServerKeyVersion', [key, previousNotAfter]);
  }
  wrappedBlobs(column: WrappedColumn, after: readonly (string | number)[] | null, limit: number): Promise<WrappedBlob[]> {
    return this.#call('wrappedBlobs', [column, after, limit]);
  }
  replaceWrappedBlobs(
    column: WrappedColumn,
    changes: readonly { readonly key: readonly (string | number)[]; readonly expected: Uint8Array; readonly replacement: Uint8Array }[],
  ): Promise<number> {
    return this.#call('replaceWrappedBlobs', [column, changes]);
  }
  ping(): Promise<void> {
    return this.#call('ping', []);
  }

  async close(): Promise<void> {
    if (this.#failure || this.#closing) return;
    const closed = this.#call('close', []);
    this.#closing = true;
    await closed;
    await this.#worker.terminate();
  }
}
