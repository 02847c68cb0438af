/**
 * What `forgetClient` erases besides the client's row and messages (docs/forget.md), run
 * against every driver: its signed receipts, those of messages already purged included, and
 * nobody else's; and what it says about the journal, which each driver states for its engine.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DIRECT_DELIVERY } from '../../src/domain/delivery-settings.js';
import type { WriteBatch } from '../../src/domain/ports/message-log.js';
import type { Store } from '../../src/domain/ports/store.js';
import { withFreshStore, type MessageStoreFactory } from './message-store.suite.js';

const T0 = 1_700_000_000_000;

const batch = (parts: Partial<WriteBatch>): WriteBatch => ({ clients: [], messages: [], delivered: [], acked: [], seen: [], at: T0, ...parts });
const client = (appId: string, id: string, n: number) => ({ id, appId, staticKey: new Uint8Array(32).fill(n), keySalt: new Uint8Array(32).fill(100 + n), createdAt: T0 });
const message = (clientId: string, id: string, createdAt: number) =>
  ({ appId: 'A', id, clientId, payload: new TextEncoder().encode(`sealed:${id}`), createdAt, expiresAt: createdAt + 3_600_000 });
const receipt = (fromSeq: number, messages: { seq: number; id: string }[], n: number) =>
  ({ fromSeq, uptoSeq: messages[messages.length - 1]!.seq, messages, signature: new Uint8Array(64).fill(n) });

/** `scrubsJournal`: what the driver's engine reports after a forget (SQLite true, MySQL false). */
export function runMessageStoreForgetConformance(driverName: string, factory: MessageStoreFactory, scrubsJournal: boolean): void {
  const withStore = (fn: (store: Store) => Promise<void>): Promise<void> => withFreshStore(factory, (_fx, store) => fn(store));

  describe(`Store forget conformance: ${driverName}`, () => {
    test('forgetClient deletes every signed receipt of the client (its purged messages\' too), no one else\'s, and reports the journal', () =>
      withStore(async (store) => {
        await store.createApp({ id: 'A', name: 'A', wrappedSecret: new Uint8Array(4), createdAt: T0, delivery: DIRECT_DELIVERY });
        await store.commit(batch({ clients: [client('A', 'a1', 1), client('A', 'a2', 2)] }));
        await store.commit(batch({ messages: [message('a1', 'm1', T0), message('a1', 'm2', T0), message('a1', 'm3', T0), message('a2', 'n1', T0 + 10)] }));
        // Two signed ACKs of a1 (m1 and m2, then m3), one of a2.
        await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 2, receipts: [receipt(0, [{ seq: 1, id: 'm1' }, { seq: 2, id: 'm2' }], 1)] }] }));
        await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 3, receipts: [receipt(2, [{ seq: 3, id: 'm3' }], 2)] }, { clientId: 'a2', uptoSeq: 1, receipts: [receipt(0, [{ seq: 1, id: 'n1' }], 3)] }] }));
        assert.ok(await store.getReceipt('A', 'm1'));
        // a1's acked messages are purged (retention): its receipts stay until it is forgotten.
        assert.equal(await store.purgeMessages(T0 + 1, 100), 3);
        await store.commit(batch({ messages: [message('a1', 'm4', T0 + 20)] }));

        const result = await store.forgetClient('a1', 'A', T0 + 30);
        assert.deepEqual([result?.receipts, result?.messages, result?.journalScrubbed], [2, 1, scrubsJournal]);
        assert.deepEqual((await store.getReceipt('A', 'n1'))?.signature, new Uint8Array(64).fill(3), "a2's receipt is untouched");
        assert.equal((await store.forgetClient('a2', 'A', T0 + 31))?.receipts, 1);
      }));

    test('forgetClient of a client without receipts deletes none', () =>
      withStore(async (store) => {
        await store.createApp({ id: 'A', name: 'A', wrappedSecret: new Uint8Array(4), createdAt: T0, delivery: DIRECT_DELIVERY });
        await store.commit(batch({ clients: [client('A', 'a1', 1)] }));
        assert.deepEqual([(await store.forgetClient('a1', undefined, T0))?.receipts], [0]);
      }));
  });
}
