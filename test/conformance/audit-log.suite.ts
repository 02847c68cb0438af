/**
 * AuditLog (src/domain/ports/audit-log.ts, docs/audit.md), run against every driver:
 * what each write appends, in which order, chained how, and that a failed write appends
 * nothing. The record's fields shapes are the domain builders'; here they are checked as data.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditRecordHash } from '../../src/crypto/node/audit.js';
import { GENESIS_HASH, adminEvent, authFailureEvent, type AuditRecord } from '../../src/domain/audit.js';
import { DIRECT_DELIVERY } from '../../src/domain/delivery-settings.js';
import type { Store } from '../../src/domain/ports/store.js';
import { T0, batch, client, msg, withFreshStore, type StoreFactory } from './store-fixture.js';

const parsed = (record: AuditRecord | undefined) => ({ kind: record?.kind, ...(JSON.parse(record?.fields ?? '{}') as object) });

async function seed(store: Store): Promise<void> {
  for (const id of ['A', 'B']) await store.createApp({ id, name: id, wrappedSecret: new Uint8Array(4), createdAt: T0, delivery: DIRECT_DELIVERY });
  await store.commit(batch({ clients: [client('A', 'a1', 1), client('A', 'a2', 2), client('B', 'b1', 3)] }));
}

async function allRecords(store: Store): Promise<AuditRecord[]> {
  return store.auditRecords(0, 1_000_000);
}

export function runAuditLogConformance(driverName: string, factory: StoreFactory): void {
  const withStore = (fn: (store: Store, reopen: () => Promise<Store>) => Promise<void>): Promise<void> =>
    withFreshStore(factory, (fx, store) => fn(store, () => fx.reopen()));

  describe(`AuditLog conformance: ${driverName}`, () => {
    test('a commit appends one publish record per app (inserted messages only), then deliver, ack and its riders, chained', () =>
      withStore(async (store) => {
        await seed(store);
        await store.commit(batch({ messages: [msg('A', 'a1', 'm1'), msg('A', 'a1', 'm2')] }));
        const rider = authFailureEvent({ scheme: 'none', code: 'ERR_AUTH_MISSING', remote: '10.0.0.1' });
        await store.commit(batch({
          messages: [msg('B', 'b1', 'n1'), msg('A', 'a2', 'm3'), msg('A', 'a1', 'm1'), msg('A', 'nobody', 'm4')],
          delivered: [{ clientId: 'a1', uptoSeq: 2 }],
          acked: [{ clientId: 'a1', uptoSeq: 1 }],
          audit: [rider],
          at: T0 + 5,
        }));
        const records = await allRecords(store);
        assert.deepEqual(records.map(parsed), [
          { kind: 'publish', app: 'A', messages: [['m1', 'a1', 1], ['m2', 'a1', 2]] },
          { kind: 'publish', app: 'B', messages: [['n1', 'b1', 1]] },
          { kind: 'publish', app: 'A', messages: [['m3', 'a2', 1]] },
          { kind: 'deliver', marks: [['a1', 2]] },
          { kind: 'ack', marks: [['a1', 1]] },
          { kind: 'auth-failure', ...(JSON.parse(rider.fields) as object) },
        ]);
        let prev = GENESIS_HASH;
        records.forEach((r, i) => {
          assert.equal(r.seq, i + 1);
          assert.equal(r.at, i === 0 ? T0 : T0 + 5);
          assert.deepEqual(new Uint8Array(r.prevHash), new Uint8Array(prev));
          assert.deepEqual(new Uint8Array(r.hash), new Uint8Array(auditRecordHash(r)));
          prev = r.hash;
        });
        const head = await store.auditHead();
        assert.equal(head.seq, records.length);
        assert.deepEqual(new Uint8Array(head.hash), new Uint8Array(prev));
        assert.deepEqual((await store.auditRecords(2, 2)).map((r) => r.seq), [3, 4]);
      }));

    test('a commit that fails appends nothing', () =>
      withStore(async (store) => {
        await seed(store);
        await store.commit(batch({ messages: [msg('A', 'a1', 'm1')] }));
        const before = await store.auditHead();
        // A new client under a taken id (another key) violates the primary key: the whole batch fails.
        await assert.rejects(store.commit(batch({ clients: [client('B', 'a1', 9)], messages: [msg('A', 'a1', 'm2')], acked: [{ clientId: 'a1', uptoSeq: 1 }] })));
        assert.equal((await store.auditHead()).seq, before.seq);
        assert.equal((await allRecords(store)).length, before.seq);
        assert.equal(await store.findAckRecord('a1', 1), undefined);
      }));

    test('findAckRecord finds the first ack record covering a seq', () =>
      withStore(async (store) => {
        await seed(store);
        await store.commit(batch({ messages: ['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => msg('A', 'a1', id)) }));
        await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 3 }, { clientId: 'a2', uptoSeq: 0 }] }));
        await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 5 }] }));
        const first = await store.findAckRecord('a1', 2);
        assert.deepEqual(parsed(first), { kind: 'ack', marks: [['a1', 3], ['a2', 0]] });
        assert.deepEqual(parsed(await store.findAckRecord('a1', 3)), parsed(first));
        assert.deepEqual(parsed(await store.findAckRecord('a1', 4)), { kind: 'ack', marks: [['a1', 5]] });
        assert.equal(await store.findAckRecord('a1', 6), undefined);
        assert.equal(await store.findAckRecord('b1', 1), undefined);
      }));

    test('an ack record keeps the signed ACKs its mark carries: what was signed and the signature', () =>
      withStore(async (store) => {
        await seed(store);
        await store.commit(batch({ messages: [msg('A', 'a1', 'm1'), msg('A', 'a1', 'm2')] }));
        const signature = Uint8Array.from({ length: 64 }, (_, i) => i);
        const receipt = { fromSeq: 0, uptoSeq: 2, messages: [{ seq: 1, id: 'm1' }, { seq: 2, id: 'm2' }], signature };
        await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 2, receipts: [receipt] }], at: T0 + 1 }));
        const hex = Buffer.from(signature).toString('hex');
        assert.deepEqual(parsed(await store.findAckRecord('a1', 2)), { kind: 'ack', marks: [['a1', 2, [0, 2, [[1, 'm1'], [2, 'm2']], hex]]] });
      }));

    test('expiry appends one expire record of what it expired, and none when nothing is due', () =>
      withStore(async (store) => {
        await seed(store);
        await store.commit(batch({ messages: [msg('A', 'a1', 'm1', T0 + 10), msg('A', 'a1', 'm2'), msg('B', 'b1', 'n1', T0 + 10)] }));
        const before = (await store.auditHead()).seq;
        assert.equal(await store.expireMessages(T0 + 10, 100), 2);
        const records = await store.auditRecords(before, 10);
        assert.equal(records.length, 1);
        const expired = (JSON.parse(records[0]!.fields) as { messages: unknown[] }).messages;
        assert.deepEqual(expired.sort(), [['A', 'm1', 'a1', 1], ['B', 'n1', 'b1', 1]]);
        assert.equal(records[0]!.at, T0 + 10);
        assert.equal(await store.expireMessages(T0 + 10, 100), 0);
        assert.equal((await store.auditHead()).seq, before + 1);
      }));

    test('appendAudit and two stores on the same storage extend one chain', () =>
      withStore(async (store, reopen) => {
        await store.appendAudit([adminEvent('apps.create', { app: 'A', name: 'A' })], T0);
        const other = await reopen();
        await other.appendAudit([adminEvent('apps.update', { app: 'A', delivery: 'direct' }), adminEvent('clients.forget', { client: 'a1' })], T0 + 1);
        await store.appendAudit([], T0 + 2);
        const records = await allRecords(store);
        assert.deepEqual(records.map((r) => [r.seq, r.kind]), [[1, 'admin'], [2, 'admin'], [3, 'admin']]);
        assert.deepEqual(new Uint8Array(records[1]!.prevHash), new Uint8Array(records[0]!.hash));
      }));

    test('checkpoints are kept once per seq, paged in seq order', () =>
      withStore(async (store) => {
        const checkpoint = (seq: number) => ({ seq, headHash: new Uint8Array(32).fill(seq), at: T0 + seq, keyVersion: 1, signature: new Uint8Array(64).fill(seq) });
        assert.equal(await store.latestAuditCheckpoint(), undefined);
        for (const seq of [5, 1, 9]) assert.equal(await store.addAuditCheckpoint(checkpoint(seq)), true);
        assert.equal(await store.addAuditCheckpoint({ ...checkpoint(5), at: T0 }), false);
        assert.deepEqual((await store.auditCheckpoints(0, 2)).map((c) => [c.seq, c.at]), [[1, T0 + 1], [5, T0 + 5]]);
        assert.deepEqual((await store.auditCheckpoints(5, 10)).map((c) => c.seq), [9]);
        const latest = await store.latestAuditCheckpoint();
        assert.equal(latest?.seq, 9);
        assert.deepEqual(new Uint8Array(latest!.signature), checkpoint(9).signature);
      }));
  });
}
