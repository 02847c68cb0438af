import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DIRECT_DELIVERY } from '../../src/domain/delivery-settings.js';
import { adminEvent } from '../../src/domain/audit.js';
import { auditRecordHash } from '../../src/crypto/node/audit.js';
import type { Store } from '../../src/domain/ports/store.js';
import { openMysqlStore } from '../../src/drivers/store/mysql/store.js';
import { migrateMysql } from '../../src/drivers/store/mysql/migrate.js';
import { freshDatabase } from '../helpers/mysql.js';
import { mysqlMissing } from '../helpers/requirements.js';
import type { StoreFixture } from './store-fixture.js';
import { runMessageLogConformance } from './message-log.suite.js';
import { runMessageLogMarksConformance } from './message-log-marks.suite.js';
import { runAppRegistryConformance } from './app-registry.suite.js';
import { runClientRegistryConformance } from './client-registry.suite.js';
import { runKeyVaultConformance } from './key-vault.suite.js';
import { runAuditLogConformance } from './audit-log.suite.js';
import { runWebhooksConformance } from './webhooks.suite.js';

/** A fresh database per fixture, migrated; `reopen` is another pool (another node) on it. */
async function mysqlFixture(): Promise<StoreFixture> {
  const db = await freshDatabase();
  await migrateMysql(db.url, Date.now());
  const opened: Store[] = [];
  const open = async (): Promise<Store> => {
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
  runMessageLogConformance('mysql', mysqlFixture);
  runMessageLogMarksConformance('mysql', mysqlFixture);
  runAppRegistryConformance('mysql', mysqlFixture);
  // InnoDB has no secure delete: the journal is never reported scrubbed (docs/forget.md).
  runClientRegistryConformance('mysql', mysqlFixture, false);
  runKeyVaultConformance('mysql', mysqlFixture);
  runAuditLogConformance('mysql', mysqlFixture);
  runWebhooksConformance('mysql', mysqlFixture);
  acrossNodes();
} else {
  describe('Store conformance: mysql', () => {
    test('needs MySQL', { skip: missing }, () => undefined);
  });
}

/**
 * What the row locks guarantee when several nodes (pools) write at once: the suites above
 * run mostly one writer at a time. Each test fails if its lock (clients FOR UPDATE, the
 * audit head FOR UPDATE, the tombstone head FOR UPDATE) is removed.
 */
function acrossNodes(): void {
  const T0 = 1_700_000_000_000;
  const bytes = (n: number) => new Uint8Array(32).fill(n);
  describe('MySQL store: several nodes at once, big batches', () => {
    test('concurrent commits to one client from four nodes get contiguous seqs, each once', async () => {
      const fx = await mysqlFixture();
      try {
        const nodes = [fx.store, await fx.reopen(), await fx.reopen(), await fx.reopen()];
        await fx.store.createApp({ id: 'A', name: 'A', wrappedSecret: bytes(1), createdAt: T0, delivery: DIRECT_DELIVERY });
        await fx.store.commit({ clients: [{ id: 'c1', appId: 'A', staticKey: bytes(2), keySalt: bytes(3), createdAt: T0 }], messages: [], delivered: [], acked: [], seen: [], at: T0 });
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => nodes[i % nodes.length]!.commit({
          clients: [], delivered: [], acked: [], seen: [], at: T0,
          messages: [0, 1, 2].map((k) => ({ appId: 'A', id: `m${i}-${k}`, clientId: 'c1', payload: bytes(k), createdAt: T0, expiresAt: T0 + 3_600_000 })),
        })));
        const seqs = results.flatMap((r) => r.messages.map((m) => (m.kind === 'inserted' ? m.seq : -1)));
        assert.deepEqual([...seqs].sort((a, b) => a - b), Array.from({ length: 120 }, (_, i) => i + 1));
        for (const r of results) {
          const batchSeqs = r.messages.map((m) => (m.kind === 'inserted' ? m.seq : -1));
          assert.deepEqual(batchSeqs, [batchSeqs[0]!, batchSeqs[0]! + 1, batchSeqs[0]! + 2], 'a batch\'s seqs are contiguous');
        }
        assert.equal((await fx.store.getClient('A', 'c1'))?.lastSeq, 120);
      } finally {
        await fx.cleanup();
      }
    });

    test('the same message ids published at once to two clients from two nodes: one is inserted, the other its duplicate, nothing fails', async () => {
      const fx = await mysqlFixture();
      try {
        const other = await fx.reopen();
        await fx.store.createApp({ id: 'A', name: 'A', wrappedSecret: bytes(1), createdAt: T0, delivery: DIRECT_DELIVERY });
        await fx.store.commit({
          clients: [1, 2].map((n) => ({ id: `c${n}`, appId: 'A', staticKey: bytes(n), keySalt: bytes(3), createdAt: T0 })),
          messages: [], delivered: [], acked: [], seen: [], at: T0,
        });
        const publish = (node: typeof other, clientId: string, id: string) => node.commit({
          clients: [], delivered: [], acked: [], seen: [], at: T0,
          messages: [{ appId: 'A', id, clientId, payload: bytes(9), createdAt: T0, expiresAt: T0 + 3_600_000 }],
        });
        const ids = Array.from({ length: 30 }, (_, i) => `same-${i}`);
        const results = await Promise.all(ids.flatMap((id) => [publish(fx.store, 'c1', id), publish(other, 'c2', id)]));
        for (let i = 0; i < ids.length; i++) {
          const kinds = [results[2 * i]!.messages[0]!.kind, results[2 * i + 1]!.messages[0]!.kind].sort();
          assert.deepEqual(kinds, ['duplicate', 'inserted'], ids[i]);
        }
      } finally {
        await fx.cleanup();
      }
    });

    test('one group commit of 300 messages of 64 KiB (past max_allowed_packet in one statement) commits and reads back', async () => {
      const fx = await mysqlFixture();
      try {
        await fx.store.createApp({ id: 'A', name: 'A', wrappedSecret: bytes(1), createdAt: T0, delivery: DIRECT_DELIVERY });
        await fx.store.commit({ clients: [{ id: 'c1', appId: 'A', staticKey: bytes(2), keySalt: bytes(3), createdAt: T0 }], messages: [], delivered: [], acked: [], seen: [], at: T0 });
        const payload = new Uint8Array(65_600).fill(7);
        const { messages } = await fx.store.commit({
          clients: [], delivered: [], acked: [], seen: [], at: T0,
          messages: Array.from({ length: 300 }, (_, i) => ({ appId: 'A', id: `big${i}`, clientId: 'c1', payload, createdAt: T0, expiresAt: T0 + 3_600_000 })),
        });
        assert.deepEqual(messages.map((m) => (m.kind === 'inserted' ? m.seq : -1)), Array.from({ length: 300 }, (_, i) => i + 1));
        const pending = await fx.store.pendingMessages('c1', 290, 100, T0);
        assert.deepEqual(pending.map((p) => [p.seq, p.payload.length]), Array.from({ length: 10 }, (_, i) => [291 + i, 65_600]));
      } finally {
        await fx.cleanup();
      }
    });

    test('concurrent audit appends and forgets from four nodes keep one unbroken chain and ordered tombstones', async () => {
      const fx = await mysqlFixture();
      try {
        const nodes = [fx.store, await fx.reopen(), await fx.reopen(), await fx.reopen()];
        await fx.store.createApp({ id: 'A', name: 'A', wrappedSecret: bytes(1), createdAt: T0, delivery: DIRECT_DELIVERY });
        const clients = Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, appId: 'A', staticKey: bytes(10 + i), keySalt: bytes(3), createdAt: T0 }));
        await fx.store.commit({ clients, messages: [], delivered: [], acked: [], seen: [], at: T0 });
        await Promise.all([
          ...Array.from({ length: 30 }, (_, i) => nodes[i % nodes.length]!.appendAudit([adminEvent('apps.update', { app: 'A', n: i }), adminEvent('apps.update', { app: 'A', n: -i })], T0 + i)),
          ...clients.map((c, i) => nodes[i % nodes.length]!.forgetClient(c.id, 'A', T0 + i)),
        ]);
        const records = await fx.store.auditRecords(0, 1000);
        assert.deepEqual(records.map((r) => r.seq), Array.from({ length: 60 }, (_, i) => i + 1));
        let prev = new Uint8Array(32);
        for (const r of records) {
          assert.deepEqual(new Uint8Array(r.prevHash), prev, `record ${r.seq} links to its predecessor`);
          assert.deepEqual(new Uint8Array(r.hash), new Uint8Array(auditRecordHash({ seq: r.seq, at: r.at, kind: r.kind, fields: r.fields, prevHash: r.prevHash })));
          prev = new Uint8Array(r.hash);
        }
        assert.deepEqual((await fx.store.forgottenAfter(0, 100)).map((t) => t.seq), Array.from({ length: 12 }, (_, i) => i + 1));
        assert.equal(await fx.store.lastForgottenSeq(), 12);
      } finally {
        await fx.cleanup();
      }
    });
  });
}
