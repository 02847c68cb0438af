/**
 * MessageLog (src/domain/ports/message-log.ts), run against every driver: delivered, acked and
 * seen marks, the pending reads, lastSeqs, expiry, purge and the signed receipts an ack keeps.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LAST_SEQS_MAX } from '../../src/domain/ports/message-log.js';
import type { Store } from '../../src/domain/ports/store.js';
import { T0, HOUR, hex, payloadOf, msg, batch, seed, publish, statuses, withFreshStore, type StoreFactory, type StoreFixture } from './store-fixture.js';

export function runMessageLogMarksConformance(driverName: string, factory: StoreFactory): void {
  const withStore = (fn: (fx: StoreFixture, store: Store) => Promise<void>): Promise<void> => withFreshStore(factory, fn);

  describe(`MessageLog marks conformance: ${driverName}`, () => {
    test('delivered marks are cumulative, per client, and forward-only', () => withStore(async (_fx, store) => {
      await seed(store);
      await publish(store, ['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => msg('A', 'a1', id)).concat([msg('A', 'a2', 'x1')]));
      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 3 }], at: T0 + 1 }));
      assert.deepEqual(await statuses(store, 'A', ['m1', 'm2', 'm3', 'm4', 'm5', 'x1']), ['delivered', 'delivered', 'delivered', 'queued', 'queued', 'queued']);
      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 2 }], at: T0 + 2 }));
      assert.equal((await store.getMessage('A', 'm2'))?.deliveredAt, T0 + 1, 'a lower mark changes nothing');
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 4 }], at: T0 + 3 }));
      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 5 }, { clientId: 'ghost', uptoSeq: 5 }], at: T0 + 4 }));
      assert.deepEqual(await statuses(store, 'A', ['m1', 'm4', 'm5']), ['acked', 'acked', 'delivered'], 'acked never goes back to delivered');
      const m5 = await store.getMessage('A', 'm5');
      assert.equal(m5?.deliveredAt, T0 + 4);
      assert.equal((await store.getMessage('A', 'm3'))?.deliveredAt, T0 + 1);
    }));

    test('acked marks: cumulative, set ackedAt and deliveredAt, erase the payload, raise ackedSeq', () => withStore(async (fx, store) => {
      await seed(store);
      await publish(store, ['m1', 'm2', 'm3', 'm4'].map((id) => msg('A', 'a1', id)));
      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 1 }], at: T0 + 1 }));
      assert.equal(hex(await fx.storedPayload('A', 'm2')), hex(payloadOf('m2')));
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 2 }], at: T0 + 2 }));
      const [m1, m2, m3] = await Promise.all(['m1', 'm2', 'm3'].map((id) => store.getMessage('A', id)));
      assert.deepEqual([m1?.status, m1?.deliveredAt, m1?.ackedAt], ['acked', T0 + 1, T0 + 2]);
      assert.deepEqual([m2?.status, m2?.deliveredAt, m2?.ackedAt], ['acked', T0 + 2, T0 + 2], 'ackedAt implies deliveredAt');
      assert.deepEqual([m3?.status, m3?.deliveredAt, m3?.ackedAt], ['queued', null, null]);
      assert.equal(await fx.storedPayload('A', 'm1'), null);
      assert.equal(await fx.storedPayload('A', 'm2'), null);
      assert.equal(hex(await fx.storedPayload('A', 'm3')), hex(payloadOf('m3')));
      assert.equal((await store.getClient('A', 'a1'))?.ackedSeq, 2);

      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 1 }], at: T0 + 3 }));
      assert.equal((await store.getClient('A', 'a1'))?.ackedSeq, 2, 'a lower ack never lowers ackedSeq');
      assert.equal((await store.getMessage('A', 'm1'))?.ackedAt, T0 + 2);

      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 99 }, { clientId: 'ghost', uptoSeq: 1 }], at: T0 + 4 }));
      assert.equal((await store.getClient('A', 'a1'))?.ackedSeq, 4, 'ackedSeq never passes lastSeq');
      assert.deepEqual(await statuses(store, 'A', ['m3', 'm4']), ['acked', 'acked']);
      assert.deepEqual(await publish(store, [msg('A', 'a1', 'm5')]), [5]);
      assert.equal((await store.getMessage('A', 'm5'))?.status, 'queued', 'an ack past lastSeq does not pre-ack future messages');
    }));

    test('seen sets lastSeenAt to the commit time; unknown ids are ignored', () => withStore(async (_fx, store) => {
      await seed(store);
      await store.commit(batch({ seen: ['a1', 'ghost'], at: T0 + 42 }));
      assert.equal((await store.getClient('A', 'a1'))?.lastSeenAt, T0 + 42);
      assert.equal((await store.getClient('A', 'a2'))?.lastSeenAt, null);
    }));

    test('pending: queued and delivered, not acked or expired, after afterSeq, in seq order, up to limit', () => withStore(async (_fx, store) => {
      await seed(store);
      const now = T0 + 100;
      await publish(store, [
        msg('A', 'a1', 'p1'), msg('A', 'a1', 'p2'), msg('A', 'a1', 'p3'), msg('A', 'a1', 'p4', now),
        msg('A', 'a1', 'p5', now + 1), msg('A', 'a1', 'p6'), msg('A', 'a2', 'q1'),
      ]);
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 1 }], delivered: [{ clientId: 'a1', uptoSeq: 3 }], at: T0 + 1 }));
      const all = await store.pendingMessages('a1', 0, 100, now);
      assert.deepEqual(all.map((p) => p.seq), [2, 3, 5, 6], 'acked and due messages are not pending, even unswept');
      assert.deepEqual(all.map((p) => p.id), ['p2', 'p3', 'p5', 'p6']);
      const first = all[0];
      assert.equal(first?.appId, 'A');
      assert.equal(first?.createdAt, T0);
      assert.equal(hex(first?.payload), hex(payloadOf('p2')));
      assert.deepEqual((await store.pendingMessages('a1', 3, 100, now)).map((p) => p.seq), [5, 6]);
      assert.deepEqual((await store.pendingMessages('a1', 0, 2, now)).map((p) => p.seq), [2, 3]);
      assert.deepEqual((await store.pendingMessages('a1', 6, 100, now)).map((p) => p.seq), []);
      assert.deepEqual((await store.pendingMessages('a1', 0, 100, now + 1)).map((p) => p.seq), [2, 3, 6]);
      assert.deepEqual(await store.pendingMessages('ghost', 0, 100, now), []);
      assert.equal(await store.countPending('a1', now), 4);
      assert.equal(await store.countPending('a1', now + 1), 3);
      assert.equal(await store.countPending('a2', now), 1);
      assert.equal(await store.countPending('ghost', now), 0);
    }));

    test('lastSeqs: the last seq assigned to each known client, whatever its status; unknown ids left out', () => withStore(async (_fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'l1'), msg('A', 'a1', 'l2'), msg('B', 'b1', 'l3'), msg('A', 'a1', 'l4', T0)]);
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 2 }], at: T0 + 1 }));
      const bySeq = (rows: { clientId: string; lastSeq: number }[]): [string, number][] =>
        rows.map((r): [string, number] => [r.clientId, r.lastSeq]).sort(([a], [b]) => a.localeCompare(b));
      assert.deepEqual(bySeq(await store.lastSeqs(['a1', 'a2', 'b1', 'ghost'])), [['a1', 3], ['a2', 0], ['b1', 1]],
        'acked and expired messages still count: the seq was assigned');
      assert.deepEqual(await store.lastSeqs([]), []);
      const many = Array.from({ length: LAST_SEQS_MAX - 1 }, (_, i) => `nobody-${i}`);
      assert.deepEqual(bySeq(await store.lastSeqs([...many, 'b1'])), [['b1', 1]], 'a full page of ids is one call');
    }));

    test('expiry marks only due pending messages, up to limit, never acked ones', () => withStore(async (fx, store) => {
      await seed(store);
      const now = T0 + 1000;
      await publish(store, [
        msg('A', 'a1', 'e1', now - 1), msg('A', 'a1', 'e2', now), msg('A', 'a1', 'e3', now - 5),
        msg('A', 'a1', 'e4', now + 1), msg('A', 'a2', 'e5', now - 10),
      ]);
      await store.commit(batch({ acked: [{ clientId: 'a2', uptoSeq: 1 }], delivered: [{ clientId: 'a1', uptoSeq: 1 }], at: T0 + 1 }));
      assert.equal(await store.expireMessages(now, 2), 2);
      assert.equal(await store.expireMessages(now, 10), 1);
      assert.equal(await store.expireMessages(now, 10), 0);
      assert.deepEqual(await statuses(store, 'A', ['e1', 'e2', 'e3', 'e4', 'e5']), ['expired', 'expired', 'expired', 'queued', 'acked']);
      const e1 = await store.getMessage('A', 'e1');
      assert.equal(e1?.deliveredAt, T0 + 1, 'delivered -> expired keeps deliveredAt');
      assert.notEqual(await fx.storedPayload('A', 'e4'), null);

      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 4 }], acked: [{ clientId: 'a1', uptoSeq: 4 }], at: now }));
      assert.deepEqual(await statuses(store, 'A', ['e1', 'e2', 'e3', 'e4']), ['expired', 'expired', 'expired', 'acked'], 'marks never touch expired messages');
      const e2 = await store.getMessage('A', 'e2');
      assert.deepEqual([e2?.deliveredAt, e2?.ackedAt], [null, null]);
      assert.equal(await store.expireMessages(now + 10 * HOUR, 10), 0);
    }));

    test('cumulative marks never revive a message that is due but not yet swept', () => withStore(async (_fx, store) => {
      await seed(store);
      const now = T0 + 1000;
      // u1 is delivered in time, u2 expires unsent, u3 is still live.
      await publish(store, [msg('A', 'a1', 'u1', now - 1), msg('A', 'a1', 'u2', now - 1), msg('A', 'a1', 'u3', now + HOUR)]);
      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 1 }], at: now - 10 }));
      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 3 }], at: now }));
      assert.deepEqual(await statuses(store, 'A', ['u1', 'u2', 'u3']), ['delivered', 'queued', 'delivered'], 'a due message is not marked delivered');
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 3 }], at: now }));
      assert.deepEqual(await statuses(store, 'A', ['u1', 'u2', 'u3']), ['acked', 'queued', 'acked'], 'a delivered message acks after its expiry; a due, unsent one does not');
      assert.equal(await store.expireMessages(now, 10), 1);
      assert.deepEqual(await statuses(store, 'A', ['u1', 'u2', 'u3']), ['acked', 'expired', 'acked']);
    }));

    test('purge deletes finished messages created before the cutoff, never pending ones', () => withStore(async (_fx, store) => {
      await seed(store);
      const now = T0 + 1000;
      // p1 acked, p2 expired, p3 pending (old but alive), p4 acked but newer than the cutoff.
      await publish(store, [msg('A', 'a1', 'p1'), msg('A', 'a1', 'p2', now - 1), msg('A', 'a1', 'p3', now + HOUR)]);
      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 1 }], at: T0 + 1 }));
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 1 }], at: T0 + 2 }));
      await store.expireMessages(now, 10);
      await store.commit(batch({ messages: [{ ...msg('A', 'a2', 'p4'), createdAt: now }] }));
      await store.commit(batch({ delivered: [{ clientId: 'a2', uptoSeq: 1 }], acked: [{ clientId: 'a2', uptoSeq: 1 }], at: now }));
      assert.deepEqual(await statuses(store, 'A', ['p1', 'p2', 'p3', 'p4']), ['acked', 'expired', 'queued', 'acked']);

      assert.equal(await store.purgeMessages(now, 1), 1);
      assert.equal(await store.purgeMessages(now, 10), 1);
      assert.equal(await store.purgeMessages(now, 10), 0);
      assert.deepEqual(await statuses(store, 'A', ['p1', 'p2', 'p3', 'p4']), [undefined, undefined, 'queued', 'acked']);
      assert.deepEqual((await store.pendingMessages('a1', 0, 10, now)).map((p) => p.id), ['p3']);
      // A purged id no longer dedups: it is a new message with the next seq.
      const [again] = (await store.commit(batch({ messages: [msg('A', 'a1', 'p1')] }))).messages;
      assert.deepEqual(again, { kind: 'inserted', seq: 4 });
    }));

    test("getMessage is per app: another app's id is undefined", () => withStore(async (_fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'g1')]);
      assert.equal((await store.getMessage('A', 'g1'))?.id, 'g1');
      assert.equal(await store.getMessage('B', 'g1'), undefined);
      assert.equal(await store.getMessage('A', 'nope'), undefined);
    }));

    test('countPendingByApp: queued and delivered per app; acked, expired and due messages are not pending', () => withStore(async (_fx, store) => {
      await seed(store);
      assert.deepEqual(await store.countPendingByApp(T0), []);
      await publish(store, [msg('A', 'a1', 'p1'), msg('A', 'a1', 'p2'), msg('A', 'a2', 'p3'), msg('A', 'a2', 'due', T0 + 10), msg('B', 'b1', 'p4')]);
      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 2 }], acked: [{ clientId: 'a1', uptoSeq: 1 }], at: T0 + 1 }));
      assert.deepEqual(await store.countPendingByApp(T0 + 100), [{ appId: 'A', pending: 2 }, { appId: 'B', pending: 1 }]);
      assert.equal(await store.expireMessages(T0 + HOUR, 10), 5 - 1);
      assert.deepEqual(await store.countPendingByApp(T0 + 100), [], 'expired messages are not pending');
    }));

    test('receipts: every receipt of a merged acked mark is kept with the ack; each links only the messages it names and acked', () => withStore(async (_fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'r1'), msg('A', 'a1', 'r2'), msg('A', 'a1', 'r3'), msg('A', 'a1', 'r4')]);
      const sig = (n: number) => new Uint8Array(64).fill(n);
      const first = { fromSeq: 0, uptoSeq: 1, messages: [{ seq: 1, id: 'r1' }], signature: sig(1) };
      // r3 is acked by the cumulative mark but named by no receipt (it was not delivered on that connection).
      const second = { fromSeq: 1, uptoSeq: 3, messages: [{ seq: 2, id: 'r2' }, { seq: 3, id: 'not-r3' }], signature: sig(2) };
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 3, receipts: [first, second] }], at: T0 + 5 }));
      const r1 = await store.getReceipt('A', 'r1');
      assert.deepEqual(r1 && { ...r1, signature: hex(r1.signature) }, { ...first, signature: hex(sig(1)), clientId: 'a1', ackedAt: T0 + 5 });
      const r2 = await store.getReceipt('A', 'r2');
      assert.deepEqual([r2?.fromSeq, r2?.uptoSeq, r2?.messages, hex(r2?.signature)], [1, 3, second.messages, hex(sig(2))]);
      assert.equal(await store.getReceipt('A', 'r3'), undefined, 'acked, but no receipt names it');
      assert.equal(await store.getReceipt('A', 'r4'), undefined, 'not acked');
      assert.equal(await store.getReceipt('B', 'r1'), undefined, "another app's message");
      assert.equal(await store.getReceipt('A', 'nope'), undefined);
      // A later receipt naming an already linked message does not replace the first proof.
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 4, receipts: [{ fromSeq: 0, uptoSeq: 4, messages: [{ seq: 1, id: 'r1' }, { seq: 4, id: 'r4' }], signature: sig(3) }] }] }));
      assert.equal(hex((await store.getReceipt('A', 'r1'))?.signature), hex(sig(1)));
      assert.equal(hex((await store.getReceipt('A', 'r4'))?.signature), hex(sig(3)));
    }));

    test('receipts: one receipt over many messages links every one it names, and no message acked unsigned before it', () => withStore(async (_fx, store) => {
      await seed(store);
      const ids = Array.from({ length: 6 }, (_, i) => `m${i + 1}`);
      await publish(store, ids.map((id) => msg('A', 'a1', id)));
      // m1, m2 acked without a signature (receipts off, or an older SDK), then a new connection's
      // first ACK (fromSeq 0) signs for what it delivered: m3..m6.
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 2 }] }));
      const covered = ids.slice(2).map((id, i) => ({ seq: i + 3, id }));
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 6, receipts: [{ fromSeq: 0, uptoSeq: 6, messages: covered, signature: new Uint8Array(64).fill(9) }] }] }));
      for (const id of ['m1', 'm2']) assert.equal(await store.getReceipt('A', id), undefined, `${id} was acked unsigned`);
      for (const id of ids.slice(2)) assert.deepEqual((await store.getReceipt('A', id))?.messages, covered, id);
      // A connection that resent m1 (its plain ACK was still on its way) and signed for it: that proves it.
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 6, receipts: [{ fromSeq: 0, uptoSeq: 1, messages: [{ seq: 1, id: 'm1' }], signature: new Uint8Array(64).fill(10) }] }] }));
      assert.equal(hex((await store.getReceipt('A', 'm1'))?.signature), hex(new Uint8Array(64).fill(10)));
      assert.equal(await store.getReceipt('A', 'm2'), undefined);
    }));

    test('receipts: a receipt never links a message its ack did not move to acked (expired before the ack)', () => withStore(async (_fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'e1', T0 + 10)]);
      await store.expireMessages(T0 + 20, 10);
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 1, receipts: [{ fromSeq: 0, uptoSeq: 1, messages: [{ seq: 1, id: 'e1' }], signature: new Uint8Array(64) }] }], at: T0 + 30 }));
      assert.deepEqual(await statuses(store, 'A', ['e1']), ['expired']);
      assert.equal(await store.getReceipt('A', 'e1'), undefined);
    }));
  });
}
