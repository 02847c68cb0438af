/**
 * ClientRegistry (src/domain/ports/client-registry.ts), run against every driver: clients by
 * id and by key, their HPKE and ack keys, the listing, forgetting (docs/forget.md: the row, its
 * messages and signed receipts, a tombstone; what it says of the journal) and the retention
 * pass's clauses (usecases/retention.ts): `staleClients`, and `forgetClient` with `staleBefore`
 * forgets only a client still stale in its own transaction.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DIRECT_DELIVERY } from '../../src/domain/delivery-settings.js';
import type { Store } from '../../src/domain/ports/store.js';
import type { Client } from '../../src/domain/types.js';
import { T0, HOUR, hex, key, payloadOf, app, appWithSecret, newClient, client, msg, batch, seed, publish, statuses, withFreshStore, type StoreFactory, type StoreFixture } from './store-fixture.js';

const DAY = 86_400_000;

/** A message of app A created at `createdAt`, live for an hour. */
const messageAt = (clientId: string, id: string, createdAt: number) =>
  ({ appId: 'A', id, clientId, payload: payloadOf(id), createdAt, expiresAt: createdAt + HOUR });
const receipt = (fromSeq: number, messages: { seq: number; id: string }[], n: number) =>
  ({ fromSeq, uptoSeq: messages[messages.length - 1]!.seq, messages, signature: new Uint8Array(64).fill(n) });

/**
 * Four clients of app A: `old` last seen at T0, `recent` seen at T0 + 30 days, `never` created
 * at T0 and never marked seen, `busy` seen at T0 with one message pending.
 */
async function seedStale(store: Store): Promise<void> {
  await store.createApp({ id: 'A', name: 'A', wrappedSecret: new Uint8Array(4), createdAt: T0, delivery: DIRECT_DELIVERY });
  await store.commit(batch({ clients: [client('A', 'old', 1), client('A', 'recent', 2), client('A', 'never', 3), client('A', 'busy', 4)] }));
  await store.commit(batch({ seen: ['old', 'busy'], at: T0 }));
  await store.commit(batch({ seen: ['recent'], at: T0 + 30 * DAY }));
  await store.commit(batch({ messages: [msg('A', 'busy', 'm1', T0 + DAY)] }));
}

/** `scrubsJournal`: what the driver's engine reports after a forget (SQLite true, MySQL false). */
export function runClientRegistryConformance(driverName: string, factory: StoreFactory, scrubsJournal: boolean): void {
  const withStore = (fn: (fx: StoreFixture, store: Store) => Promise<void>): Promise<void> => withFreshStore(factory, fn);

  describe(`ClientRegistry conformance: ${driverName}`, () => {
    test('clients: a new client starts at seq 0 and is found by id and by key, within its app only', () => withStore(async (_fx, store) => {
      await store.createApp(app('A'));
      await store.createApp(app('B'));
      const { clients } = await store.commit(batch({ clients: [newClient('A', 'a1', 1), newClient('B', 'b1', 1)] }));
      assert.equal(clients.length, 2);
      const [a1, b1] = clients as [Client, Client];
      assert.equal(a1.id, 'a1', 'the same key in another app is another client');
      assert.equal(b1.id, 'b1');
      assert.deepEqual({ ...a1, staticKey: hex(a1.staticKey), keySalt: hex(a1.keySalt) },
        { id: 'a1', appId: 'A', staticKey: hex(key(1)), keySalt: hex(key(101)), lastSeq: 0, ackedSeq: 0, createdAt: T0, lastSeenAt: null, hpkeKey: null });
      assert.equal((await store.getClient('A', 'a1'))?.id, 'a1');
      assert.equal(await store.getClient('B', 'a1'), undefined);
      assert.equal(await store.getClient('A', 'nope'), undefined);
      assert.equal((await store.findClientByKey('A', key(1)))?.id, 'a1');
      assert.equal((await store.findClientByKey('B', key(1)))?.id, 'b1');
      assert.equal(await store.findClientByKey('A', key(9)), undefined);
    }));

    test('clients: the HPKE key of the first hello is stored with the client; a later one replaces it, null clears it', () => withStore(async (_fx, store) => {
      await store.createApp(app('A'));
      await store.createApp(app('B'));
      const { clients } = await store.commit(batch({ clients: [{ ...newClient('A', 'a1', 1), hpkeKey: key(2) }, newClient('A', 'a2', 3)] }));
      assert.deepEqual(clients.map((c) => hex(c?.hpkeKey ?? null)), [hex(key(2)), null]);
      assert.equal(hex((await store.getClient('A', 'a1'))?.hpkeKey), hex(key(2)));
      assert.equal(hex((await store.findClientByKey('A', key(1)))?.hpkeKey), hex(key(2)));
      assert.equal((await store.getClient('A', 'a2'))?.hpkeKey ?? null, null);
      assert.equal(await store.setClientHpkeKey('A', 'a2', key(4)), true);
      assert.equal(hex((await store.getClient('A', 'a2'))?.hpkeKey), hex(key(4)));
      assert.equal(await store.setClientHpkeKey('A', 'a1', null), true);
      assert.equal((await store.getClient('A', 'a1'))?.hpkeKey ?? null, null);
      assert.equal(await store.setClientHpkeKey('B', 'a2', key(5)), false, "another app's client is not touched");
      assert.equal(hex((await store.getClient('A', 'a2'))?.hpkeKey), hex(key(4)));
      assert.equal(await store.setClientHpkeKey('A', 'nope', key(5)), false);
    }));

    test('clients: the key salt is stored as given and read back by id, by key and from the commit', () => withStore(async (_fx, store) => {
      await store.createApp(app('A'));
      const { clients } = await store.commit(batch({ clients: [newClient('A', 'a1', 1)] }));
      assert.equal(hex(clients[0]?.keySalt), hex(key(101)));
      assert.equal(hex((await store.getClient('A', 'a1'))?.keySalt), hex(key(101)));
      assert.equal(hex((await store.findClientByKey('A', key(1)))?.keySalt), hex(key(101)));
    }));

    test('ack keys: a new client may carry one; registerAckKey sets it once and never replaces it; per app', () => withStore(async (_fx, store) => {
      await seed(store);
      const [keyed] = (await store.commit(batch({ clients: [{ ...newClient('A', 'k1', 9), ackKey: key(40) }] }))).clients;
      assert.equal(hex(keyed?.ackKey), hex(key(40)));
      assert.equal(hex((await store.findClientByKey('A', key(9)))?.ackKey), hex(key(40)));
      assert.equal((await store.getClient('A', 'a1'))?.ackKey, undefined, 'a client without one reads as none');
      assert.equal(hex(await store.registerAckKey('A', 'a1', key(41))), hex(key(41)));
      assert.equal(hex(await store.registerAckKey('A', 'a1', key(42))), hex(key(41)), 'the first stays');
      assert.equal(hex(await store.registerAckKey('A', 'k1', key(42))), hex(key(40)));
      assert.equal(await store.registerAckKey('A', 'b1', key(43)), undefined, "another app's client");
      assert.equal((await store.getClient('B', 'b1'))?.ackKey, undefined);
      assert.equal(hex((await store.getClient('A', 'a1'))?.ackKey), hex(key(41)));
    }));

    test('listClients lists the newest first, of one app or all, at most `limit`', () =>
      withStore(async (_fx, store) => {
        await store.createApp(appWithSecret('A'));
        await store.createApp(appWithSecret('B'));
        await store.commit(batch({ clients: [client('A', 'a1', 1, T0), client('B', 'b1', 2, T0 + 1), client('A', 'a2', 3, T0 + 2)] }));
        await store.commit(batch({ seen: ['a1'], at: T0 + 9 }));
        assert.deepEqual((await store.listClients(undefined, 10)).map((c) => c.id), ['a2', 'b1', 'a1']);
        assert.deepEqual((await store.listClients('A', 10)).map((c) => c.id), ['a2', 'a1']);
        assert.deepEqual((await store.listClients(undefined, 2)).map((c) => c.id), ['a2', 'b1']);
        assert.deepEqual(await store.listClients('nope', 10), []);
        const a1 = (await store.listClients('A', 10))[1]!;
        assert.deepEqual([a1.appId, a1.createdAt, a1.lastSeenAt, a1.lastSeq], ['A', T0, T0 + 9, 0]);
      }));

    test('forgetClient: deletes the client and every message of it in any status, and records a tombstone', () => withStore(async (fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'k1'), msg('A', 'a1', 'k2'), msg('A', 'a1', 'k3'), msg('A', 'a2', 'other'), msg('B', 'b1', 'k1')]);
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 1 }], delivered: [{ clientId: 'a1', uptoSeq: 2 }], at: T0 + 1 }));
      assert.equal(await store.lastForgottenSeq(), 0);

      const result = await store.forgetClient('a1', 'A', T0 + 5);
      assert.ok(result);
      assert.equal(result.messages, 3, 'acked, delivered and queued alike');
      assert.deepEqual({ ...result.tombstone, seq: 0 }, { seq: 0, clientId: 'a1', appId: 'A', forgottenAt: T0 + 5 });
      assert.equal(typeof result.journalScrubbed, 'boolean');
      assert.equal(await store.getClient('A', 'a1'), undefined);
      assert.equal(await store.findClientByKey('A', key(1)), undefined);
      assert.deepEqual(await statuses(store, 'A', ['k1', 'k2', 'k3']), [undefined, undefined, undefined]);
      for (const id of ['k1', 'k2', 'k3']) assert.equal(await fx.storedPayload('A', id), undefined, `${id} row is gone`);
      assert.deepEqual(await store.pendingMessages('a1', 0, 10, T0), []);
      assert.equal(await store.countPending('a1', T0), 0);
      // Everyone else is untouched: the same message id in app B, and a1's app mate.
      assert.deepEqual(await statuses(store, 'B', ['k1']), ['queued']);
      assert.deepEqual(await statuses(store, 'A', ['other']), ['queued']);
      assert.equal(hex(await fx.storedPayload('A', 'other')), hex(payloadOf('other')));
      assert.deepEqual(await store.forgottenAfter(0, 10), [result.tombstone]);
      assert.equal(await store.lastForgottenSeq(), result.tombstone.seq);
    }));

    test('forgetClient: another app\'s or an unknown client is undefined and changes nothing; no app given forgets any', () => withStore(async (_fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'k1')]);
      assert.equal(await store.forgetClient('a1', 'B', T0), undefined);
      assert.equal(await store.forgetClient('nope', undefined, T0), undefined);
      assert.equal((await store.getClient('A', 'a1'))?.id, 'a1');
      assert.deepEqual(await statuses(store, 'A', ['k1']), ['queued']);
      assert.deepEqual(await store.forgottenAfter(0, 10), []);
      assert.equal((await store.forgetClient('a1', undefined, T0))?.tombstone.appId, 'A');
      assert.equal(await store.forgetClient('a1', undefined, T0), undefined, 'a second forget finds nothing');
      assert.equal((await store.forgottenAfter(0, 10)).length, 1);
    }));

    test('forgetClient: later commits treat the id as unknown, and the static key makes a new client', () => withStore(async (_fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'k1')]);
      await store.forgetClient('a1', 'A', T0);
      const late = await store.commit(batch({
        messages: [msg('A', 'a1', 'k2')],
        delivered: [{ clientId: 'a1', uptoSeq: 1 }],
        acked: [{ clientId: 'a1', uptoSeq: 1 }],
        seen: ['a1'],
      }));
      assert.deepEqual(late.messages.map((m) => m.kind), ['unknown-client'], 'marks of the forgotten id are no-ops');
      const { clients } = await store.commit(batch({ clients: [newClient('A', 'a1-reborn', 1)] }));
      assert.deepEqual([clients[0]?.id, clients[0]?.lastSeq], ['a1-reborn', 0]);
      assert.deepEqual(await publish(store, [msg('A', 'a1-reborn', 'k1')]), [1], 'the old message id is free again and seqs start over');
      assert.equal(await store.getClient('A', 'a1'), undefined);
    }));

    test('forgottenAfter pages tombstones in seq order; lastForgottenSeq is the newest', () => withStore(async (fx, store) => {
      await seed(store);
      const seqs: number[] = [];
      for (const [id, appId] of [['a1', 'A'], ['b1', 'B'], ['a2', 'A']] as const) {
        seqs.push((await store.forgetClient(id, appId, T0 + seqs.length))!.tombstone.seq);
      }
      assert.deepEqual([...seqs].sort((x, y) => x - y), seqs, 'seqs increase');
      assert.deepEqual((await store.forgottenAfter(0, 2)).map((t) => t.clientId), ['a1', 'b1']);
      assert.deepEqual((await store.forgottenAfter(seqs[1]!, 10)).map((t) => [t.clientId, t.appId, t.forgottenAt]), [['a2', 'A', T0 + 2]]);
      assert.deepEqual(await store.forgottenAfter(seqs[2]!, 10), []);
      assert.equal(await store.lastForgottenSeq(), seqs[2]);
      const again = await fx.reopen();
      assert.equal(await again.lastForgottenSeq(), seqs[2], 'tombstones are durable');
    }));

    test('forgetClient deletes every signed receipt of the client (its purged messages\' too), no one else\'s, and reports the journal', () =>
      withStore(async (_fx, store) => {
        await store.createApp({ id: 'A', name: 'A', wrappedSecret: new Uint8Array(4), createdAt: T0, delivery: DIRECT_DELIVERY });
        await store.commit(batch({ clients: [client('A', 'a1', 1), client('A', 'a2', 2)] }));
        await store.commit(batch({ messages: [messageAt('a1', 'm1', T0), messageAt('a1', 'm2', T0), messageAt('a1', 'm3', T0), messageAt('a2', 'n1', T0 + 10)] }));
        // Two signed ACKs of a1 (m1 and m2, then m3), one of a2.
        await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 2, receipts: [receipt(0, [{ seq: 1, id: 'm1' }, { seq: 2, id: 'm2' }], 1)] }] }));
        await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 3, receipts: [receipt(2, [{ seq: 3, id: 'm3' }], 2)] }, { clientId: 'a2', uptoSeq: 1, receipts: [receipt(0, [{ seq: 1, id: 'n1' }], 3)] }] }));
        assert.ok(await store.getReceipt('A', 'm1'));
        // a1's acked messages are purged (retention): its receipts stay until it is forgotten.
        assert.equal(await store.purgeMessages(T0 + 1, 100), 3);
        await store.commit(batch({ messages: [messageAt('a1', 'm4', T0 + 20)] }));

        const result = await store.forgetClient('a1', 'A', T0 + 30);
        assert.deepEqual([result?.receipts, result?.messages, result?.journalScrubbed], [2, 1, scrubsJournal]);
        assert.deepEqual((await store.getReceipt('A', 'n1'))?.signature, new Uint8Array(64).fill(3), "a2's receipt is untouched");
        assert.equal((await store.forgetClient('a2', 'A', T0 + 31))?.receipts, 1);
      }));

    test('forgetClient of a client without receipts deletes none', () =>
      withStore(async (_fx, store) => {
        await store.createApp({ id: 'A', name: 'A', wrappedSecret: new Uint8Array(4), createdAt: T0, delivery: DIRECT_DELIVERY });
        await store.commit(batch({ clients: [client('A', 'a1', 1)] }));
        assert.deepEqual([(await store.forgetClient('a1', undefined, T0))?.receipts], [0]);
      }));

    test('staleClients: last seen (or created, never seen) before the cutoff, holding no message; up to limit', () => withStore(async (_fx, store) => {
      await seedStale(store);
      assert.deepEqual((await store.staleClients(T0 + DAY, 10)).sort(), ['never', 'old']);
      assert.deepEqual((await store.staleClients(T0 + 31 * DAY, 10)).sort(), ['never', 'old', 'recent']);
      assert.deepEqual(await store.staleClients(T0, 10), [], 'the cutoff is exclusive');
      assert.equal((await store.staleClients(T0 + DAY, 1)).length, 1);
    }));

    test('forgetClient with staleBefore: forgets a stale client; keeps one seen or published to since', () => withStore(async (_fx, store) => {
      await seedStale(store);
      const cutoff = T0 + DAY;
      assert.equal((await store.forgetClient('old', undefined, cutoff, cutoff))?.tombstone.clientId, 'old');
      assert.equal(await store.getClient('A', 'old'), undefined);
      // Listed as stale, then seen again before the forget: kept.
      await store.commit(batch({ seen: ['never'], at: cutoff + 1 }));
      assert.equal(await store.forgetClient('never', undefined, cutoff, cutoff), undefined);
      assert.ok(await store.getClient('A', 'never'), 'a client seen since is kept');
      assert.equal(await store.forgetClient('busy', undefined, cutoff, cutoff), undefined, 'a client holding a message is kept');
      assert.equal((await store.getMessage('A', 'm1'))?.status, 'queued');
      assert.equal(await store.forgetClient('recent', undefined, cutoff, cutoff), undefined);
      assert.deepEqual(await store.staleClients(cutoff, 10), []);
    }));
  });
}
