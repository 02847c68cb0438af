/**
 * Store on SQLite (better-sqlite3): the embedded default, one file on local disk.
 *
 * Durability. The database runs in WAL mode. With `durability: 'full'` (the default) every
 * commit fsyncs the WAL before it returns, so a 202 means the batch survives `kill -9`, an
 * OS crash and a power loss. With `'normal'` the WAL is fsynced only at checkpoints: a
 * committed batch still survives `kill -9` of the process (the OS holds the written WAL
 * pages), but the last commits before a power loss or kernel panic may be lost. The file is
 * never corrupted by either kind of crash.
 *
 * Sharing. A CLI process and the server may open the same file at once: readers never
 * block in WAL mode, and writers wait up to `busyTimeoutMs` for the write lock.
 *
 * better-sqlite3 is synchronous: each method runs to completion on the calling thread, so
 * the store needs no locking of its own, and a resolved `commit` has already been written.
 */
import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { AppRegistry } from '../../../domain/ports/app-registry.js';
import type { AuditLog } from '../../../domain/ports/audit-log.js';
import type { ClientRegistry } from '../../../domain/ports/client-registry.js';
import type { KeyVault } from '../../../domain/ports/key-vault.js';
import type { MessageLog } from '../../../domain/ports/message-log.js';
import type { Store, StoreHandle } from '../../../domain/ports/store.js';
import type { Logger } from '../../../domain/ports/runtime.js';
import type { WebhookEndpoints, WebhookOutbox } from '../../../domain/ports/webhooks.js';
import { migrate } from './schema.js';
import { sqliteAppRegistry } from './apps.js';
import { sqliteAuditChain, sqliteAuditLog } from './audit.js';
import { sqliteClientRegistry } from './clients.js';
import { sqliteCommit } from './commit.js';
import { sqliteKeyVault } from './keys.js';
import { sqliteMessageReads } from './messages.js';
import { sqliteWebhooks } from './webhooks.js';

export type SqliteDurability = 'full' | 'normal';

/** The page cache's default size, MiB (the `sqliteCacheMiB` setting). */
export const DEFAULT_SQLITE_CACHE_MIB = 16;

export interface SqliteStoreOptions {
  /** The database file; created with its schema on first open. */
  readonly path: string;
  /** 'full' (default): fsync every commit. 'normal': survives a process crash, not a power loss. */
  readonly durability?: SqliteDurability;
  /** How long a write waits for another process's write lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * Page cache of this connection. Default 16 MiB: the recent pages that appends and pending
   * reads touch; older pages come from the OS's file cache (64 MiB measured no faster on
   * 300,000 messages, and took the node's memory up for half an hour as it filled).
   */
  readonly cacheSizeMiB?: number;
  /**
   * WAL size (in 4 KiB pages) that triggers a checkpoint. Default 16384 (64 MiB). SQLite's
   * own default (1000) checkpoints after nearly every group commit of 1000 messages,
   * writing each page twice; a larger WAL writes a page rewritten by many commits once.
   */
  readonly walCheckpointPages?: number;
  /**
   * Most pending (queued or delivered, unexpired) messages one client may hold; a message past
   * it is refused ('client-full'), never dropped later. Default 10000.
   */
  readonly maxPendingPerClient?: number;
  readonly logger?: Logger;
}

// The role methods are copied onto each instance in the constructor; this gives them their types.
export interface SqliteStore extends MessageLog, AppRegistry, ClientRegistry, KeyVault, AuditLog, WebhookEndpoints, WebhookOutbox {}

/**
 * The five roles on one connection, as one object: each role file prepares its statements
 * and returns its port's methods, and the commit, expiry and appendAudit share one audit
 * chain, so every append stays inside the transaction that caused it.
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #ping: Database.Statement;

  /** Use openSqliteStore. */
  constructor(db: Database.Database, maxPendingPerClient = 10_000) {
    this.#db = db;
    this.#ping = db.prepare('SELECT 1').pluck();
    const chain = sqliteAuditChain(db);
    const roles: Omit<Store, keyof StoreHandle> = {
      commit: sqliteCommit(db, chain, maxPendingPerClient),
      ...sqliteMessageReads(db, chain),
      ...sqliteAppRegistry(db),
      ...sqliteClientRegistry(db),
      ...sqliteKeyVault(db),
      ...sqliteAuditLog(db, chain),
      ...sqliteWebhooks(db),
    };
    Object.assign(this, roles);
  }

  async ping(): Promise<void> {
    this.#ping.get();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

/** Opens (creating if needed) the database at `path` and brings its schema up to date. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const durability = options.durability ?? 'full';
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const cacheSizeMiB = options.cacheSizeMiB ?? DEFAULT_SQLITE_CACHE_MIB;
  const walCheckpointPages = options.walCheckpointPages ?? 16384;
  if (options.path !== ':memory:') {
    // Create the file owner-only before SQLite does: its -wal and -shm files copy the mode.
    closeSync(openSync(options.path, 'a', 0o600));
  }
  const db = new Database(options.path, { timeout: busyTimeoutMs });
  try {
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // Zero what a row update or delete frees inside its page, at no extra I/O: an acked
    // message's sealed payload does not linger in free space. forgetClient turns it ON.
    db.pragma('secure_delete = FAST');
    db.pragma(`cache_size = ${-Math.trunc(cacheSizeMiB * 1024)}`);
    db.pragma(`wal_autocheckpoint = ${Math.trunc(walCheckpointPages)}`);
    const schemaVersion = migrate(db, Date.now());
    const cacheKiB = -Number(db.pragma('cache_size', { simple: true }));
    options.logger?.info({ path: options.path, durability, schemaVersion, cacheMiB: cacheKiB / 1024 }, 'sqlite store open');
    return new SqliteStore(db, options.maxPendingPerClient);
  } catch (err) {
    db.close();
    throw err;
  }
}
