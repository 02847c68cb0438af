/**
 * MessageLog (src/domain/ports/message-log.ts), run against every driver: the group commit,
 * what it writes and in which order, per-client seqs, duplicates, the clients it registers,
 * and that a failed commit writes nothing. Marks, reads, expiry, purge and receipts:
 * message-log-marks.suite.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommitResult, NewMessage } from '../../src/domain/ports/message-log.js';
import type { Store } from '../../src/domain/ports/store.js';
import { T0, HOUR, hex, key, payloadOf, app, newClient, msg, batch, seqOf, seed, publish, statuses, withFreshStore, type StoreFactory, type StoreFixture } from './store-fixture.js';

export function runMessageLogConformance(driverName: string, factory: StoreFactory): void {
  const withStore = (fn: (fx: StoreFixture, store: Store) => Promise<void>): Promise<void> => withFreshStore(factory, fn);

  describe(`MessageLog conformance: ${driverName}`, () => {
    test('seq: per client, from 1, contiguous in batch order, continued across batches', () => withStore(async (_fx, store) => {
      await seed(store);
      const first = await publish(store, [msg('A', 'a1', 'm1'), msg('A', 'a2', 'm2'), msg('A', 'a1', 'm3'), msg('B', 'b1', 'm4'), msg('A', 'a1', 'm5')]);
      assert.deepEqual(first, [1, 1, 2, 1, 3]);
      const second = await publish(store, [msg('A', 'a2', 'm6'), msg('A', 'a1', 'm7')]);
      assert.deepEqual(second, [2, 4]);
      assert.equal((await store.getClient('A', 'a1'))?.lastSeq, 4);
      assert.equal((await store.getClient('A', 'a2'))?.lastSeq, 2);
      const m3 = await store.getMessage('A', 'm3');
      assert.deepEqual(m3, { appId: 'A', id: 'm3', clientId: 'a1', seq: 2, status: 'queued', createdAt: T0, expiresAt: T0 + HOUR, deliveredAt: null, ackedAt: null, fingerprint: null });
    }));

    test('duplicates across batches return the existing record and consume no seq', () => withStore(async (_fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'm1')]);
      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 1 }], at: T0 + 5 }));
      const { messages } = await store.commit(batch({ messages: [msg('A', 'a1', 'm1'), msg('A', 'a2', 'm1'), msg('A', 'a1', 'm2')] }));
      for (const outcome of messages.slice(0, 2)) {
        assert.equal(outcome.kind, 'duplicate');
        if (outcome.kind === 'duplicate') {
          assert.deepEqual(outcome.existing, { appId: 'A', id: 'm1', clientId: 'a1', seq: 1, status: 'delivered', createdAt: T0, expiresAt: T0 + HOUR, deliveredAt: T0 + 5, ackedAt: null, fingerprint: null });
        }
      }
      assert.equal(seqOf(messages[2]), 2, 'no seq consumed by the duplicates');
      assert.equal((await store.getClient('A', 'a2'))?.lastSeq, 0);
      assert.equal(seqOf((await store.commit(batch({ messages: [msg('B', 'b1', 'm1')] }))).messages[0]), 1, 'ids are unique per app only');
    }));

    test('duplicates within one batch: a later message with an earlier id is its duplicate', () => withStore(async (_fx, store) => {
      await seed(store);
      const { messages } = await store.commit(batch({ messages: [msg('A', 'a1', 'd'), msg('A', 'a1', 'd'), msg('A', 'a2', 'd'), msg('A', 'a1', 'e')] }));
      assert.equal(seqOf(messages[0]), 1);
      for (const outcome of [messages[1], messages[2]]) {
        assert.equal(outcome?.kind, 'duplicate');
        if (outcome?.kind === 'duplicate') {
          assert.equal(outcome.existing.seq, 1);
          assert.equal(outcome.existing.clientId, 'a1');
          assert.equal(outcome.existing.status, 'queued');
        }
      }
      assert.equal(seqOf(messages[3]), 2);
      assert.equal((await store.getClient('A', 'a2'))?.lastSeq, 0);
    }));

    test('a message keeps its fingerprint: its duplicates (across and within batches) and reads return it, after the ack too', () => withStore(async (fx, store) => {
      await seed(store);
      const print = (n: number): Uint8Array => new Uint8Array(32).fill(n);
      const first = await store.commit(batch({ messages: [{ ...msg('A', 'a1', 'f1'), fingerprint: print(1) }, { ...msg('A', 'a1', 'f1'), fingerprint: print(2) }, msg('A', 'a1', 'f2')] }));
      assert.deepEqual(first.messages.map((m) => m.kind), ['inserted', 'duplicate', 'inserted']);
      const within = first.messages[1];
      assert.equal(within?.kind === 'duplicate' ? hex(within.existing.fingerprint) : 'none', hex(print(1)), 'a later message of the batch sees the first one\'s fingerprint');
      const again = (await store.commit(batch({ messages: [{ ...msg('A', 'a1', 'f1'), fingerprint: print(3) }] }))).messages[0];
      assert.equal(again?.kind === 'duplicate' ? hex(again.existing.fingerprint) : 'none', hex(print(1)), 'nothing overwrites the stored fingerprint');
      assert.equal(hex((await store.getMessage('A', 'f2'))?.fingerprint), null, 'a message stored without one reads as null');
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 1 }], at: T0 + 5 }));
      const acked = await store.getMessage('A', 'f1');
      assert.equal(acked?.status, 'acked');
      assert.equal(await fx.storedPayload('A', 'f1'), null, 'the payload is erased on ack');
      assert.equal(hex(acked?.fingerprint), hex(print(1)), 'the fingerprint outlives the payload');
    }));

    test("unknown client: no such id, or another app's client; nothing inserted, no seq consumed", () => withStore(async (_fx, store) => {
      await seed(store);
      const { messages } = await store.commit(batch({ messages: [msg('A', 'ghost', 'u1'), msg('A', 'b1', 'u2'), msg('A', 'a1', 'u3')] }));
      assert.deepEqual(messages.map((m) => m.kind), ['unknown-client', 'unknown-client', 'inserted']);
      assert.equal(seqOf(messages[2]), 1);
      assert.equal(await store.getMessage('A', 'u1'), undefined);
      assert.equal(await store.getMessage('A', 'u2'), undefined);
      assert.equal((await store.getClient('B', 'b1'))?.lastSeq, 0);
      assert.deepEqual(await publish(store, [msg('B', 'b1', 'u2')]), [1]);
    }));

    test('a batch applies clients, messages, delivered, acked, seen in that order', () => withStore(async (_fx, store) => {
      await store.createApp(app('A'));
      const result = await store.commit(batch({
        clients: [newClient('A', 'n1', 5)],
        messages: [msg('A', 'n1', 'o1'), msg('A', 'n1', 'o2'), msg('A', 'n1', 'o3')],
        delivered: [{ clientId: 'n1', uptoSeq: 2 }],
        acked: [{ clientId: 'n1', uptoSeq: 1 }],
        seen: ['n1'],
        at: T0 + 9,
      }));
      assert.deepEqual(result.messages.map(seqOf), [1, 2, 3]);
      assert.deepEqual(await statuses(store, 'A', ['o1', 'o2', 'o3']), ['acked', 'delivered', 'queued']);
      const client = await store.getClient('A', 'n1');
      assert.equal(client?.lastSeq, 3);
      assert.equal(client?.ackedSeq, 1);
      assert.equal(client?.lastSeenAt, T0 + 9);
    }));

    test('an empty batch commits nothing and returns empty outcomes', () => withStore(async (_fx, store) => {
      const result: CommitResult = await store.commit(batch({}));
      assert.deepEqual(result, { messages: [], clients: [] });
    }));

    test('clients: a client of an app that no longer exists is null, inserts nothing, and the rest of the batch commits', () => withStore(async (_fx, store) => {
      await store.createApp(app('A'));
      const { clients } = await store.commit(batch({ clients: [newClient('GONE', 'g1', 5), newClient('A', 'a1', 6)] }));
      assert.deepEqual(clients.map((c) => c?.id ?? null), [null, 'a1']);
      assert.equal(await store.findClientByKey('GONE', key(5)), undefined);
      assert.equal((await store.getClient('A', 'a1'))?.id, 'a1');
    }));

    test('clients: the same key twice in one batch yields the first client for both', () => withStore(async (_fx, store) => {
      await store.createApp(app('A'));
      const { clients } = await store.commit(batch({ clients: [newClient('A', 'c1', 7), newClient('A', 'c2', 7)] }));
      assert.deepEqual(clients.map((c) => c?.id), ['c1', 'c1']);
      assert.equal(await store.getClient('A', 'c2'), undefined);
    }));

    test('clients: concurrent first connects with one key get the same client', () => withStore(async (fx, store) => {
      await store.createApp(app('A'));
      const other = await fx.reopen();
      const results = await Promise.all([
        store.commit(batch({ clients: [newClient('A', 'x1', 7)] })),
        other.commit(batch({ clients: [newClient('A', 'x2', 7)] })),
        store.commit(batch({ clients: [newClient('A', 'x3', 7)] })),
      ]);
      const ids = new Set(results.map((r) => r.clients[0]?.id));
      assert.equal(ids.size, 1, `one winner, got ${[...ids].join(',')}`);
      const winner = [...ids][0] as string;
      assert.equal((await store.findClientByKey('A', key(7)))?.id, winner);
      assert.equal((await other.findClientByKey('A', key(7)))?.id, winner);
    }));

    test('a failed commit writes nothing (failure among the clients)', () => withStore(async (_fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'r1'), msg('A', 'a1', 'r2')]);
      const failing = batch({
        // 'a2' already exists with another key: inserting it must fail the whole batch.
        clients: [newClient('A', 'fresh', 8), newClient('A', 'a2', 9)],
        messages: [msg('A', 'a1', 'r3')],
        delivered: [{ clientId: 'a1', uptoSeq: 2 }],
        acked: [{ clientId: 'a1', uptoSeq: 1 }],
        seen: ['a1'],
        at: T0 + 7,
      });
      await assert.rejects(store.commit(failing));
      assert.equal(await store.getClient('A', 'fresh'), undefined);
      assert.equal(await store.findClientByKey('A', key(9)), undefined);
      assert.equal(await store.getMessage('A', 'r3'), undefined);
      assert.deepEqual(await statuses(store, 'A', ['r1', 'r2']), ['queued', 'queued']);
      const a1 = await store.getClient('A', 'a1');
      assert.deepEqual([a1?.lastSeq, a1?.ackedSeq, a1?.lastSeenAt], [2, 0, null]);
    }));

    test('a failed commit writes nothing (failure midway through the messages); the store stays usable', () => withStore(async (fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'r1')]);
      const poisoned: NewMessage = Object.defineProperty({ ...msg('A', 'a2', 'r9') }, 'payload', {
        get(): Uint8Array { throw new Error('forced failure'); },
      });
      const failing = batch({
        clients: [newClient('A', 'fresh', 8)],
        messages: [msg('A', 'a1', 'r2'), msg('A', 'fresh', 'r3'), msg('A', 'a2', 'r4'), poisoned],
        at: T0 + 7,
      });
      await assert.rejects(store.commit(failing));
      assert.equal(await store.getClient('A', 'fresh'), undefined);
      for (const id of ['r2', 'r3', 'r4', 'r9']) assert.equal(await store.getMessage('A', id), undefined, id);
      assert.equal(await fx.storedPayload('A', 'r2'), undefined);
      assert.equal((await store.getClient('A', 'a1'))?.lastSeq, 1);
      assert.equal((await store.getClient('A', 'a2'))?.lastSeq, 0);
      assert.deepEqual(await publish(store, [msg('A', 'a1', 'r2'), msg('A', 'a2', 'r4')]), [2, 1]);
    }));

    test('everything survives close and reopen; a closed store rejects', () => withStore(async (fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'k1'), msg('A', 'a1', 'k2'), msg('A', 'a1', 'k3')]);
      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 2 }], acked: [{ clientId: 'a1', uptoSeq: 1 }], seen: ['a1'], at: T0 + 3 }));
      await store.putServerKeyIfAbsent({ purpose: 'noise-static', version: 1, publicKey: key(1), wrappedSecret: key(2), createdAt: T0 });
      await store.ping();
      await store.close();
      await assert.rejects(store.ping());

      const again = await fx.reopen();
      await again.ping();
      assert.equal(hex((await again.getApp('A'))?.wrappedSecret), hex(app('A').wrappedSecret));
      const a1 = await again.getClient('A', 'a1');
      assert.deepEqual([a1?.lastSeq, a1?.ackedSeq, a1?.lastSeenAt, hex(a1?.staticKey)], [3, 1, T0 + 3, hex(key(1))]);
      assert.deepEqual(await statuses(again, 'A', ['k1', 'k2', 'k3']), ['acked', 'delivered', 'queued']);
      const pending = await again.pendingMessages('a1', 0, 10, T0);
      assert.deepEqual(pending.map((p) => [p.seq, hex(p.payload)]), [[2, hex(payloadOf('k2'))], [3, hex(payloadOf('k3'))]]);
      assert.equal((await again.getServerKey('noise-static'))?.version, 1);
      assert.deepEqual(await publish(again, [msg('A', 'a1', 'k4')]), [4]);
    }));
  });
}
