/**
 * The Store conformance suite: every clause of the port's contract, run against
 * any driver through a factory. Nothing here may depend on a driver; what the port cannot
 * observe (an erased payload) goes through the fixture's `storedPayload` hook.
 */
import { DIRECT_DELIVERY, cohortDelivery } from '../../src/domain/delivery-settings.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type CommitResult, LAST_SEQS_MAX, type MessageOutcome, type NewClient, type NewMessage, type WriteBatch } from '../../src/domain/ports/message-log.js';
import type { Store } from '../../src/domain/ports/store.js';
import type { Client, StoredApp } from '../../src/domain/types.js';

export interface MessageStoreFixture {
  readonly store: Store;
  /** Opens another store on the same storage; the first may still be open, or closed. */
  reopen(): Promise<Store>;
  /** The payload as stored, read around the port: null once erased, undefined if no such row. */
  storedPayload(appId: string, messageId: string): Promise<Uint8Array | null | undefined>;
  /** Closes every store the fixture opened and removes its storage. */
  cleanup(): Promise<void>;
}

export type MessageStoreFactory = () => Promise<MessageStoreFixture>;

/** Runs `fn` on a fresh store from `factory`, cleaning it up afterwards: one home for the suites. */
export async function withFreshStore(factory: MessageStoreFactory, fn: (fx: MessageStoreFixture, store: Store) => Promise<void>): Promise<void> {
  const fx = await factory();
  try {
    await fn(fx, fx.store);
  } finally {
    await fx.cleanup();
  }
}

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

const hex = (bytes: Uint8Array | null | undefined): string | null | undefined =>
  bytes == null ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

function key(n: number): Uint8Array {
  const bytes = new Uint8Array(32).fill(n);
  bytes[0] = 0xa5;
  return bytes;
}

function payloadOf(id: string): Uint8Array {
  return new TextEncoder().encode(`sealed:${id}`);
}

function app(id: string): StoredApp {
  return { id, name: `app ${id}`, wrappedSecret: new Uint8Array([1, 2, 3, id.length]), createdAt: T0, delivery: DIRECT_DELIVERY };
}

function newClient(appId: string, id: string, keyByte: number): NewClient {
  return { id, appId, staticKey: key(keyByte), keySalt: key(keyByte + 100), createdAt: T0 };
}

function msg(appId: string, clientId: string, id: string, expiresAt = T0 + HOUR): NewMessage {
  return { appId, id, clientId, payload: payloadOf(id), createdAt: T0, expiresAt };
}

function batch(parts: Partial<WriteBatch>): WriteBatch {
  return { clients: [], messages: [], delivered: [], acked: [], seen: [], at: T0, ...parts };
}

function seqOf(outcome: MessageOutcome | undefined): number {
  assert.equal(outcome?.kind, 'inserted', `expected inserted, got ${JSON.stringify(outcome)}`);
  return outcome.kind === 'inserted' ? outcome.seq : -1;
}

/** Two apps: a1 and a2 belong to app A, b1 to app B. */
async function seed(store: Store): Promise<void> {
  await store.createApp(app('A'));
  await store.createApp(app('B'));
  await store.commit(batch({ clients: [newClient('A', 'a1', 1), newClient('A', 'a2', 2), newClient('B', 'b1', 3)] }));
}

async function publish(store: Store, messages: NewMessage[]): Promise<number[]> {
  const result = await store.commit(batch({ messages }));
  return result.messages.map(seqOf);
}

async function statuses(store: Store, appId: string, ids: string[]): Promise<(string | undefined)[]> {
  return Promise.all(ids.map(async (id) => (await store.getMessage(appId, id))?.status));
}

export function runMessageStoreConformance(driverName: string, factory: MessageStoreFactory): void {
  const withStore = (fn: (fx: MessageStoreFixture, store: Store) => Promise<void>): Promise<void> => withFreshStore(factory, fn);

  describe(`Store conformance: ${driverName}`, () => {
    test('apps: create, get with the wrapped secret, list; unknown is undefined', () => withStore(async (_fx, store) => {
      await store.createApp(app('A'));
      await store.createApp(app('B'));
      const got = await store.getApp('A');
      assert.equal(got?.id, 'A');
      assert.equal(got?.name, 'app A');
      assert.equal(got?.createdAt, T0);
      assert.equal(hex(got?.wrappedSecret), hex(app('A').wrappedSecret));
      assert.equal(await store.getApp('nope'), undefined);
      const listed = (await store.listApps()).map((a) => `${a.id}:${a.name}:${a.createdAt}`).sort();
      assert.deepEqual(listed, [`A:app A:${T0}`, `B:app B:${T0}`]);
    }));

    test('admin tokens: stored by id with their hash, a taken id writes nothing, durable', () => withStore(async (fx, store) => {
      const token = { id: 'adm1', name: 'ops', tokenHash: key(60), createdAt: T0 };
      assert.equal(await store.addAdminToken(token), true);
      assert.equal(await store.addAdminToken({ ...token, name: 'other', tokenHash: key(61) }), false, 'a taken id is refused');
      const got = await (await fx.reopen()).findAdminToken('adm1');
      assert.deepEqual([got?.id, got?.name, hex(got?.tokenHash), got?.createdAt], ['adm1', 'ops', hex(key(60)), T0]);
      assert.equal(await store.findAdminToken('nope'), undefined);
    }));

    test('admin tokens: listed oldest first, removed once, gone for good', () => withStore(async (fx, store) => {
      assert.deepEqual(await store.listAdminTokens(), []);
      await store.addAdminToken({ id: 'adm2', name: 'later', tokenHash: key(62), createdAt: T0 + 5 });
      await store.addAdminToken({ id: 'adm1', name: 'first', tokenHash: key(63), createdAt: T0 });
      assert.deepEqual((await store.listAdminTokens()).map((t) => [t.id, t.name, t.createdAt]), [['adm1', 'first', T0], ['adm2', 'later', T0 + 5]]);
      assert.equal(await store.removeAdminToken('adm1'), true);
      assert.equal(await store.removeAdminToken('adm1'), false, 'already removed');
      assert.equal(await store.removeAdminToken('nope'), false);
      const reopened = await fx.reopen();
      assert.equal(await reopened.findAdminToken('adm1'), undefined);
      assert.deepEqual((await reopened.listAdminTokens()).map((t) => t.id), ['adm2']);
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

    test('apps: delivery settings start direct, update to cohort and back, and read back the same everywhere', () => withStore(async (_fx, store) => {
      await store.createApp(app('A'));
      await store.createApp(app('B'));
      assert.deepEqual((await store.getApp('A'))?.delivery, DIRECT_DELIVERY);
      const cohort = cohortDelivery({ tickMs: 250, cohortSize: 16, slotCounts: [4, 16] });
      assert.equal(await store.updateAppDelivery('A', cohort), true);
      assert.deepEqual((await store.getApp('A'))?.delivery, cohort);
      assert.deepEqual((await store.listApps()).map((a) => [a.id, a.delivery.mode]), [['A', 'cohort'], ['B', 'direct']]);
      assert.equal(await store.updateAppDelivery('nope', cohort), false, 'an unknown app is not created');
      assert.equal(await store.getApp('nope'), undefined);
      assert.equal(await store.updateAppDelivery('A', DIRECT_DELIVERY), true);
      assert.deepEqual((await store.getApp('A'))?.delivery, DIRECT_DELIVERY);
    }));

    test('apps: receipts start off, turn on and off, and read back the same from getApp, listApps and a reopened store', () => withStore(async (fx, store) => {
      await store.createApp(app('A'));
      await store.createApp(app('B'));
      const receipts = async (s: Store) => [(await s.getApp('A'))?.receipts === true, (await s.listApps()).map((a) => [a.id, a.receipts === true])];
      assert.deepEqual(await receipts(store), [false, [['A', false], ['B', false]]], 'off by default');
      assert.equal(await store.setAppReceipts('A', true), true);
      assert.deepEqual(await receipts(store), [true, [['A', true], ['B', false]]], 'per app');
      assert.deepEqual(await receipts(await fx.reopen()), [true, [['A', true], ['B', false]]], 'durable');
      assert.equal(await store.setAppReceipts('nope', true), false, 'an unknown app is not created');
      assert.equal(await store.getApp('nope'), undefined);
      assert.equal(await store.setAppReceipts('A', false), true);
      assert.deepEqual(await receipts(store), [false, [['A', false], ['B', false]]]);
    }));

    test('apps: a publisher signing key is set, read back, replaced and cleared; unknown apps get none', () => withStore(async (_fx, store) => {
      await store.createApp(app('A'));
      await store.createApp(app('B'));
      assert.equal((await store.getApp('A'))?.signingKey ?? null, null, 'none until one is set');
      assert.equal(await store.setAppSigningKey('A', key(7)), true);
      assert.equal(hex((await store.getApp('A'))?.signingKey), hex(key(7)));
      assert.equal((await store.getApp('B'))?.signingKey ?? null, null, 'per app');
      assert.equal(await store.setAppSigningKey('A', key(8)), true);
      assert.equal(hex((await store.getApp('A'))?.signingKey), hex(key(8)));
      assert.equal(await store.setAppSigningKey('A', null), true);
      assert.equal((await store.getApp('A'))?.signingKey ?? null, null);
      assert.equal(await store.setAppSigningKey('nope', key(7)), false);
      assert.equal(await store.getApp('nope'), undefined, 'an unknown app is not created');
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

    test('server keys: put-if-absent returns the stored key; get returns it', () => withStore(async (_fx, store) => {
      assert.equal(await store.getServerKey('noise-static'), undefined);
      const first = { purpose: 'noise-static', version: 1, publicKey: key(1), wrappedSecret: key(2), createdAt: T0 };
      const second = { purpose: 'noise-static', version: 1, publicKey: key(3), wrappedSecret: key(4), createdAt: T0 + 1 };
      const view = (k: typeof first | undefined) => k && { ...k, publicKey: hex(k.publicKey), wrappedSecret: hex(k.wrappedSecret) };
      assert.deepEqual(view(await store.putServerKeyIfAbsent(first)), view(first));
      assert.deepEqual(view(await store.putServerKeyIfAbsent(second)), view(first), 'the first one stays');
      assert.deepEqual(view(await store.getServerKey('noise-static')), view(first));
      const payloadKey = { purpose: 'payload', version: 1, publicKey: new Uint8Array(0), wrappedSecret: key(5), createdAt: T0 };
      assert.deepEqual(view(await store.putServerKeyIfAbsent(payloadKey)), view(payloadKey));
    }));

    test('server key versions: a new version ends the previous at its overlap, prunes ended ones, and refuses a stale version', () => withStore(async (_fx, store) => {
      const v = (version: number, createdAt: number) =>
        ({ purpose: 'noise-static', version, publicKey: key(version), wrappedSecret: key(10 + version), createdAt });
      await store.putServerKeyIfAbsent(v(1, T0));
      assert.equal(await store.addServerKeyVersion(v(3, T0 + 1), T0 + HOUR), false, 'must be exactly one above the newest');
      assert.equal(await store.addServerKeyVersion(v(2, T0 + 1), T0 + HOUR), true);
      assert.equal(await store.addServerKeyVersion(v(2, T0 + 2), T0 + HOUR), false, 'a concurrent rotation lost');
      assert.deepEqual((await store.listServerKeys('noise-static')).map((k) => [k.version, k.notAfter]), [[2, undefined], [1, T0 + HOUR]]);
      assert.equal((await store.getServerKey('noise-static'))?.version, 2);
      // Rotating again within the overlap: version 1 keeps its earlier end, 2 gets one.
      assert.equal(await store.addServerKeyVersion(v(3, T0 + 3), T0 + 2 * HOUR), true);
      assert.deepEqual((await store.listServerKeys('noise-static')).map((k) => [k.version, k.notAfter]), [[3, undefined], [2, T0 + 2 * HOUR], [1, T0 + HOUR]]);
      // A rotation after version 1's end deletes it, wrapped secret and all.
      assert.equal(await store.addServerKeyVersion(v(4, T0 + HOUR), T0 + 3 * HOUR), true);
      assert.deepEqual((await store.listServerKeys('noise-static')).map((k) => k.version), [4, 3, 2]);
      assert.deepEqual(await store.listServerKeys('payload'), []);
    }));

    test('wrapped blobs: paged in key order per column, HS256 jwt keys only; compare-and-set never overwrites a changed blob', () => withStore(async (_fx, store) => {
      for (const id of ['A', 'B', 'C']) await store.createApp(app(id));
      await store.putServerKeyIfAbsent({ purpose: 'noise-static', version: 1, publicKey: key(1), wrappedSecret: key(2), createdAt: T0 });
      await store.putServerKeyIfAbsent({ purpose: 'payload', version: 1, publicKey: new Uint8Array(0), wrappedSecret: key(3), createdAt: T0 });
      await store.addJwtKey({ issuer: 'i', kid: 'hs', appId: 'A', alg: 'HS256', keyMaterial: key(4), createdAt: T0 });
      await store.addJwtKey({ issuer: 'i', kid: 'ed', appId: 'A', alg: 'EdDSA', keyMaterial: key(5), createdAt: T0 });

      const page1 = await store.wrappedBlobs('apps.wrapped_secret', null, 2);
      assert.deepEqual(page1.map((b) => [b.key, hex(b.blob)]), [[['A'], hex(app('A').wrappedSecret)], [['B'], hex(app('B').wrappedSecret)]]);
      const page2 = await store.wrappedBlobs('apps.wrapped_secret', page1[1]!.key, 2);
      assert.deepEqual(page2.map((b) => b.key), [['C']]);
      assert.deepEqual(await store.wrappedBlobs('apps.wrapped_secret', ['C'], 2), []);
      const serverKeys = await store.wrappedBlobs('server_keys.wrapped_secret', null, 10);
      assert.deepEqual(serverKeys.map((b) => b.key), [['noise-static', 1], ['payload', 1]]);
      assert.deepEqual((await store.wrappedBlobs('server_keys.wrapped_secret', ['noise-static', 1], 10)).map((b) => b.key), [['payload', 1]]);
      assert.deepEqual((await store.wrappedBlobs('app_jwt_keys.key_material', null, 10)).map((b) => [b.key, hex(b.blob)]), [[['i', 'hs'], hex(key(4))]]);

      const replaced = await store.replaceWrappedBlobs('apps.wrapped_secret', [
        { key: ['A'], expected: app('A').wrappedSecret, replacement: key(20) },
        { key: ['B'], expected: key(99), replacement: key(21) }, // changed meanwhile: left alone
      ]);
      assert.equal(replaced, 1);
      assert.equal(hex((await store.getApp('A'))?.wrappedSecret), hex(key(20)));
      assert.equal(hex((await store.getApp('B'))?.wrappedSecret), hex(app('B').wrappedSecret));
      assert.equal(await store.replaceWrappedBlobs('server_keys.wrapped_secret', [{ key: ['payload', 1], expected: key(3), replacement: key(22) }]), 1);
      assert.equal(hex((await store.getServerKey('payload'))?.wrappedSecret), hex(key(22)));
      assert.equal(await store.replaceWrappedBlobs('app_jwt_keys.key_material', [{ key: ['i', 'hs'], expected: key(4), replacement: key(23) }]), 1);
      assert.equal(hex((await store.findJwtKey('i', 'hs'))?.keyMaterial), hex(key(23)));
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

    test('clients: the key salt is stored as given and read back by id, by key and from the commit', () => withStore(async (_fx, store) => {
      await store.createApp(app('A'));
      const { clients } = await store.commit(batch({ clients: [newClient('A', 'a1', 1)] }));
      assert.equal(hex(clients[0]?.keySalt), hex(key(101)));
      assert.equal(hex((await store.getClient('A', 'a1'))?.keySalt), hex(key(101)));
      assert.equal(hex((await store.findClientByKey('A', key(1)))?.keySalt), hex(key(101)));
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
  });
}
