import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../../src/domain/ports/store.js';
import { openSqliteStore } from '../../src/drivers/store/sqlite/store.js';
import { ThreadedSqliteStore } from '../../src/drivers/store/sqlite/thread.js';
import type { StoreFactory, StoreFixture } from './store-fixture.js';
import { runMessageLogConformance } from './message-log.suite.js';
import { runMessageLogMarksConformance } from './message-log-marks.suite.js';
import { runAppRegistryConformance } from './app-registry.suite.js';
import { runClientRegistryConformance } from './client-registry.suite.js';
import { runKeyVaultConformance } from './key-vault.suite.js';
import { runAuditLogConformance } from './audit-log.suite.js';
import { runWebhooksConformance } from './webhooks.suite.js';

/** A fresh database file in its own temp dir; every store opened on it is closed at cleanup. */
async function sqliteFixture(durability: 'full' | 'normal', threaded = false): Promise<StoreFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'sealpush-sqlite-'));
  const path = join(dir, 'store.db');
  const opened: Store[] = [];
  const open = async (): Promise<Store> => {
    const store = threaded ? await ThreadedSqliteStore.open({ path, durability }) : openSqliteStore({ path, durability });
    opened.push(store);
    return store;
  };
  return {
    store: await open(),
    reopen: async () => open(),
    storedPayload: async (appId, messageId) => {
      const db = new Database(path, { readonly: true });
      try {
        const row = db.prepare('SELECT payload FROM messages WHERE app_id = ? AND id = ?').get(appId, messageId) as
          { payload: Buffer | null } | undefined;
        return row === undefined ? undefined : row.payload;
      } finally {
        db.close();
      }
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every role suite against each way a node may open SQLite. */
const variants: [string, StoreFactory][] = [
  ['sqlite (durability full)', () => sqliteFixture('full')],
  ['sqlite (durability normal)', () => sqliteFixture('normal')],
  ['sqlite on a worker thread', () => sqliteFixture('full', true)],
];
for (const [name, factory] of variants) {
  runMessageLogConformance(name, factory);
  runMessageLogMarksConformance(name, factory);
  runAppRegistryConformance(name, factory);
  // SQLite overwrites freed pages (secure_delete) and checkpoints the WAL: the journal is scrubbed.
  runClientRegistryConformance(name, factory, true);
  runKeyVaultConformance(name, factory);
  runAuditLogConformance(name, factory);
  runWebhooksConformance(name, factory);
}
