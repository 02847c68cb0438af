/**
 * The SQLite store on its own thread. better-sqlite3 is synchronous: on the node's event
 * loop every group commit (statements, WAL writes, fsync) would stall every connection and
 * request for its whole duration. Here the node's thread only posts the batch and goes on
 * serving; the worker commits and answers. Same contract as SqliteStore: calls are run one
 * at a time in the order they were made, so commits stay serial and in queue order. A batch
 * and its result cross packed and transferred (sqlite/thread-codec.ts): cloning thousands of
 * small message objects was most of what posting a commit cost the node's thread.
 *
 * If the worker dies, every pending and later call rejects; the node then reports not
 * ready and refuses publishes (ERR_UNAVAILABLE) rather than accept what it cannot commit.
 */
import { Worker } from 'node:worker_threads';
import type { CommitResult, WriteBatch } from '../../../domain/ports/message-log.js';
import type { Store } from '../../../domain/ports/store.js';
import type { Logger } from '../../../domain/ports/runtime.js';
import type { SqliteStoreOptions } from './store.js';
import { decodeCommitResult, encodeWriteBatch, type PackedCommitResult } from './thread-codec.js';
import { failureOf, type StoreCall, type StoreReply } from './thread-protocol.js';

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
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** Every store method but `commit` (packed) and `close` (ends the worker) goes over as it is. */
type Forwarded = Exclude<keyof Store, 'commit' | 'close'>;

/** The methods forwarded to the worker, one line each; the type check below keeps it complete. */
const FORWARDED = [
  'createApp', 'getApp', 'listApps', 'updateAppDelivery', 'setAppReceipts', 'setAppSigningKey', 'addJwtKey', 'findJwtKey',
  'rotateAppSecret', 'deleteApp',
  'getClient', 'setClientHpkeKey', 'findClientByKey', 'registerAckKey', 'listClients', 'lastSeqs',
  'staleClients', 'forgetClient', 'forgottenAfter', 'lastForgottenSeq',
  'getMessage', 'getReceipt', 'pendingMessages', 'countPending', 'countPendingByApp', 'expireMessages', 'purgeMessages',
  'addAdminToken', 'findAdminToken', 'listAdminTokens', 'removeAdminToken',
  'getServerKey', 'putServerKeyIfAbsent', 'listServerKeys', 'addServerKeyVersion', 'putServerKeyEpoch',
  'wrappedBlobs', 'replaceWrappedBlobs',
  'appendAudit', 'auditHead', 'auditRecords', 'findAckRecord', 'addAuditCheckpoint', 'auditCheckpoints', 'latestAuditCheckpoint',
  'addWebhookEndpoint', 'getWebhookEndpoint', 'webhookEndpoints', 'removeWebhookEndpoint', 'rotateWebhookSecret',
  'claimWebhookEndpoints', 'releaseWebhookEndpoints', 'pendingWebhookEvents', 'settleWebhookEvents', 'failedWebhookEvents',
  'requeueWebhookEvents', 'webhookQueueStats', 'webhookAppSummaries',
  'ping',
] as const satisfies readonly Forwarded[];

/** Fails to compile when a method of the port is missing from FORWARDED. */
const everyMethodForwarded: Exclude<Forwarded, (typeof FORWARDED)[number]> extends never ? true : never = true;
void everyMethodForwarded;

// The forwarded methods are defined on the prototype from FORWARDED (below); this gives them their types.
export interface ThreadedSqliteStore extends Pick<Store, Forwarded> {}

export class ThreadedSqliteStore implements Store {
  static {
    for (const method of FORWARDED) {
      Object.defineProperty(this.prototype, method, {
        value(this: ThreadedSqliteStore, ...args: unknown[]): Promise<unknown> {
          return this.#call(method, args);
        },
        writable: true,
        configurable: true,
      });
    }
  }

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
  async close(): Promise<void> {
    if (this.#failure || this.#closing) return;
    const closed = this.#call('close', []);
    this.#closing = true;
    await closed;
    await this.#worker.terminate();
  }
}
