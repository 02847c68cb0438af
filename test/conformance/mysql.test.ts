import { describe, test } from 'node:test';
import type { MessageStore } from '../../src/domain/ports/message-store.js';
import { openMysqlStore } from '../../src/drivers/store/mysql.js';
import { migrateMysql } from '../../src/drivers/store/mysql-migrate.js';
import { freshDatabase } from '../helpers/mysql.js';
import { mysqlMissing } from '../helpers/requirements.js';
import { runMessageStoreConformance, type MessageStoreFixture } from './message-store.suite.js';
import { runMessageStoreAuditConformance } from './message-store-audit.suite.js';

/** A fresh database per fixture, migrated; `reopen` is another pool (another node) on it. */
async function mysqlFixture(): Promise<MessageStoreFixture> {
  const db = await freshDatabase();
  await migrateMysql(db.url, Date.now());
  const opened: MessageStore[] = [];
  const open = async (): Promise<MessageStore> => {
    const store = await openMysqlStore({ url: db.url, connectionLimit: 4 });
    opened.push(store);
    return store;
  };
  return {
    store: await open(),
    reopen: open,
    storedPayload: async (appId, messageId) => {
      const rows = (await db.query('SELECT payload FROM messages WHERE app_id = ? AND id = ?', [appId, messageId])) as { payload: Buffer | null }[];
      return rows[0] === undefined ? undefined : rows[0].payload;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      await db.drop();
    },
  };
}

const missing = mysqlMissing();
if (missing === undefined) {
  runMessageStoreConformance('mysql', mysqlFixture);
  runMessageStoreAuditConformance('mysql', mysqlFixture);
} else {
  describe('MessageStore conformance: mysql', () => {
    test('needs MySQL', { skip: missing }, () => undefined);
  });
}
