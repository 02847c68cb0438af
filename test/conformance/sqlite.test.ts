import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../../src/domain/ports/store.js';
import { openSqliteStore } from '../../src/drivers/store/sqlite/store.js';
import { ThreadedSqliteStore } from '../../src/drivers/store/sqlite/thread.js';
import { runMessageStoreConformance, type MessageStoreFixture } from './message-store.suite.js';
import { runMessageStoreAuditConformance } from './message-store-audit.suite.js';
import { runMessageStoreRetentionConformance } from './message-store-retention.suite.js';
import { runMessageStoreForgetConformance } from './message-store-forget.suite.js';
import { runMessageStoreAppsConformance } from './message-store-apps.suite.js';

/** A fresh database file in its own temp dir; every store opened on it is closed at cleanup. */
async function sqliteFixture(durability: 'full' | 'normal', threaded = false): Promise<MessageStoreFixture> {
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

runMessageStoreConformance('sqlite (durability full)', () => sqliteFixture('full'));
runMessageStoreConformance('sqlite (durability normal)', () => sqliteFixture('normal'));
runMessageStoreConformance('sqlite on a worker thread', () => sqliteFixture('full', true));
runMessageStoreAuditConformance('sqlite', () => sqliteFixture('normal'));
runMessageStoreAuditConformance('sqlite on a worker thread', () => sqliteFixture('full', true));
runMessageStoreRetentionConformance('sqlite', () => sqliteFixture('normal'));
runMessageStoreRetentionConformance('sqlite on a worker thread', () => sqliteFixture('full', true));
runMessageStoreForgetConformance('sqlite', () => sqliteFixture('normal'), true);
runMessageStoreForgetConformance('sqlite on a worker thread', () => sqliteFixture('full', true), true);
runMessageStoreAppsConformance('sqlite', () => sqliteFixture('normal'));
runMessageStoreAppsConformance('sqlite on a worker thread', () => sqliteFixture('full', true));
