/**
 * The core of the composition root: the store and the KMS a node stands on, opened from the
 * config; admin commands use just this. `migrateStore` brings the store's schema up to date.
 */
import type { Logger as PinoLogger } from 'pino';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { maskedStoreUrl, type Config } from '../config.js';
import type { Kms, MasterKeyRing } from '../domain/ports/kms.js';
import type { Store } from '../domain/ports/store.js';
import type { Clock } from '../domain/ports/runtime.js';
import { Apps } from '../domain/usecases/apps.js';
import { openSqliteStore } from '../drivers/store/sqlite/store.js';
import { ThreadedSqliteStore } from '../drivers/store/sqlite/thread.js';
import { sqliteSchemaVersion } from '../drivers/store/sqlite/schema.js';
import { openMysqlStore } from '../drivers/store/mysql/store.js';
import { migrateMysql } from '../drivers/store/mysql/migrate.js';
import { openLocalKms } from '../drivers/kms/local.js';

export const systemClock: Clock = { now: () => Date.now() };
/**
 * For what measures a duration (how long an address stays refused, how old a probe's answer
 * is): it is never stepped, so an NTP step of the wall clock neither ends such a wait early nor
 * stretches it by the size of the step. Its zero is arbitrary: never compare it with systemClock.
 */
export const elapsedClock: Clock = { now: () => performance.now() };

/** The store and KMS, for admin commands and as the base of a node. */
export interface Core {
  readonly config: Config;
  readonly store: Store;
  readonly kms: Kms;
  /** The master-key versions behind `kms`, for `keys rotate`. */
  readonly masterKeys: MasterKeyRing;
  readonly apps: Apps;
  readonly clock: Clock;
  close(): Promise<void>;
}

/**
 * `threaded`: the store runs on its own thread (a serving node, so that commits never stall
 * the event loop); admin commands use it in-process.
 */
export async function openCore(config: Config, logger: PinoLogger, threaded = false): Promise<Core> {
  createDataDir(config);
  const kms = await openLocalKms({ keyFile: config.masterKeyFile, masterKey: config.masterKey });
  const store = await openStore(config, logger, threaded);
  const apps = new Apps(store, kms, systemClock);
  return { config, store, kms, masterKeys: kms, apps, clock: systemClock, close: () => store.close() };
}

/** Creates the data directory, owner-only, if it is missing (serve and init only: src/data-dir.ts). */
export function createDataDir(config: Config): void {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
}

export function sqlitePath(config: Config): string {
  return join(config.dataDir, 'sealpush.db');
}

/** The store `config.store` names. MySQL: refused (MysqlSchemaError) unless its schema is this build's. */
async function openStore(config: Config, logger: PinoLogger, threaded: boolean): Promise<Store> {
  const maxPendingPerClient = config.limits.maxPendingPerClient;
  if (config.store !== 'sqlite') {
    logger.info({ store: maskedStoreUrl(config.store) }, 'opening mysql store');
    return openMysqlStore({ url: config.store, maxPendingPerClient, logger });
  }
  const options = {
    path: sqlitePath(config), durability: config.durability, maxPendingPerClient, logger,
    ...(config.sqliteCacheMiB === undefined ? {} : { cacheSizeMiB: config.sqliteCacheMiB }),
  };
  return threaded ? ThreadedSqliteStore.open(options) : openSqliteStore(options);
}

export interface StoreMigration {
  readonly driver: 'sqlite' | 'mysql';
  /** Where the store is, password masked. */
  readonly location: string;
  readonly from: number;
  readonly to: number;
  readonly applied: readonly { readonly version: number; readonly name: string }[];
}

/**
 * `sealpush migrate`: brings the store's schema up to this build's. SQLite applies its
 * migrations itself whenever it opens, so this just opens it once.
 */
export async function migrateStore(config: Config, onApply: (migration: { version: number; name: string }) => void): Promise<StoreMigration> {
  if (config.store !== 'sqlite') {
    const report = await migrateMysql(config.store, Date.now(), onApply);
    return { driver: 'mysql', location: maskedStoreUrl(config.store), ...report };
  }
  createDataDir(config);
  const path = sqlitePath(config);
  const before = sqliteSchemaVersion(path);
  const store = openSqliteStore({ path, durability: config.durability });
  await store.close();
  const after = sqliteSchemaVersion(path);
  return { driver: 'sqlite', location: path, from: before.version, to: after.version, applied: after.names.filter((m) => m.version > before.version) };
}
