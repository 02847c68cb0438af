/**
 * AppAdminStore (src/domain/ports/app-admin-store.ts), run against every Store driver:
 * an app's secret rotation, the deletion of an app with everything of it, and the client listing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DIRECT_DELIVERY } from '../../src/domain/delivery-settings.js';
import type { WriteBatch } from '../../src/domain/ports/message-log.js';
import type { Store } from '../../src/domain/ports/store.js';
import { withFreshStore, type MessageStoreFactory } from './message-store.suite.js';

const T0 = 1_700_000_000_000;

const batch = (parts: Partial<WriteBatch>): WriteBatch => ({ clients: [], messages: [], delivered: [], acked: [], seen: [], at: T0, ...parts });
const client = (appId: string, id: string, n: number, createdAt = T0) =>
  ({ id, appId, staticKey: new Uint8Array(32).fill(n), keySalt: new Uint8Array(32).fill(100 + n), createdAt });
const message = (appId: string, clientId: string, id: string) =>
  ({ appId, id, clientId, payload: new TextEncoder().encode(`sealed:${id}`), createdAt: T0, expiresAt: T0 + 3_600_000 });
const secret = (n: number): Uint8Array => new Uint8Array(40).fill(n);
const app = (id: string, n = 1) => ({ id, name: `app ${id}`, wrappedSecret: secret(n), createdAt: T0, delivery: DIRECT_DELIVERY });

export function runMessageStoreAppsConformance(driverName: string, factory: MessageStoreFactory): void {
  const withStore = (fn: (store: Store) => Promise<void>): Promise<void> => withFreshStore(factory, (_fx, store) => fn(store));

  describe(`Store apps conformance: ${driverName}`, () => {
    test('rotateAppSecret makes the new secret current and the old one previous with its end; a second rotation drops the first', () =>
      withStore(async (store) => {
        await store.createApp(app('A', 1));
        await store.createApp(app('B', 9));
        const fresh = await store.getApp('A');
        assert.deepEqual([fresh?.previousWrappedSecret ?? null, fresh?.previousSecretNotAfter ?? null], [null, null]);

        assert.equal(await store.rotateAppSecret('A', secret(2), T0 + 1000), true);
        const once = await store.getApp('A');
        assert.deepEqual(new Uint8Array(once!.wrappedSecret), secret(2));
        assert.deepEqual(new Uint8Array(once!.previousWrappedSecret!), secret(1));
        assert.equal(once!.previousSecretNotAfter, T0 + 1000);

        assert.equal(await store.rotateAppSecret('A', secret(3), T0 + 2000), true);
        const twice = await store.getApp('A');
        assert.deepEqual(new Uint8Array(twice!.wrappedSecret), secret(3));
        assert.deepEqual(new Uint8Array(twice!.previousWrappedSecret!), secret(2), 'the first secret is gone');
        assert.equal(twice!.previousSecretNotAfter, T0 + 2000);

        assert.equal(await store.rotateAppSecret('nope', secret(4), T0), false);
        assert.deepEqual(new Uint8Array((await store.getApp('B'))!.wrappedSecret), secret(9), 'another app is untouched');
      }));

    test('the previous secret is a wrapped column: paged and replaced (compare-and-set) by a master-key rotation', () =>
      withStore(async (store) => {
        await store.createApp(app('A', 1));
        await store.createApp(app('B', 2));
        await store.rotateAppSecret('B', secret(3), T0 + 1000);
        const blobs = await store.wrappedBlobs('apps.previous_wrapped_secret', null, 10);
        assert.deepEqual(blobs.map((b) => [b.key, new Uint8Array(b.blob)]), [[['B'], secret(2)]], 'only apps with a previous secret');
        assert.equal(await store.replaceWrappedBlobs('apps.previous_wrapped_secret', [{ key: ['B'], expected: secret(7), replacement: secret(8) }]), 0);
        assert.equal(await store.replaceWrappedBlobs('apps.previous_wrapped_secret', [{ key: ['B'], expected: secret(2), replacement: secret(8) }]), 1);
        const b = await store.getApp('B');
        assert.deepEqual([new Uint8Array(b!.previousWrappedSecret!), new Uint8Array(b!.wrappedSecret)], [secret(8), secret(3)]);
      }));

    test('deleteApp deletes its clients (with tombstones), messages, receipts, bearer keys and row, and nothing of another app', () =>
      withStore(async (store) => {
        await store.createApp(app('A'));
        await store.createApp(app('B'));
        await store.commit(batch({ clients: [client('A', 'a1', 1), client('A', 'a2', 2), client('B', 'b1', 3)] }));
        await store.commit(batch({ messages: [message('A', 'a1', 'm1'), message('A', 'a1', 'm2'), message('A', 'a2', 'm3'), message('B', 'b1', 'n1')] }));
        const signature = new Uint8Array(64).fill(5);
        await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 1, receipts: [{ fromSeq: 0, uptoSeq: 1, messages: [{ seq: 1, id: 'm1' }], signature }] }] }));
        await store.addJwtKey({ issuer: 'iss', kid: 'a', appId: 'A', alg: 'EdDSA', keyMaterial: new Uint8Array(3), createdAt: T0 });
        await store.addJwtKey({ issuer: 'iss', kid: 'b', appId: 'B', alg: 'EdDSA', keyMaterial: new Uint8Array(3), createdAt: T0 });
        const before = await store.lastForgottenSeq();
        const headBefore = await store.auditHead();

        const deleted = await store.deleteApp('A', T0 + 50);
        assert.deepEqual({ ...deleted, journalScrubbed: undefined }, { appId: 'A', name: 'app A', clients: 2, messages: 3, receipts: 1, jwtKeys: 1, journalScrubbed: undefined });
        assert.equal(typeof deleted?.journalScrubbed, 'boolean');
        assert.equal(await store.getApp('A'), undefined);
        assert.equal(await store.getClient('A', 'a1'), undefined);
        assert.equal(await store.getMessage('A', 'm1'), undefined);
        assert.equal(await store.getReceipt('A', 'm1'), undefined);
        assert.equal(await store.findJwtKey('iss', 'a'), undefined);
        const tombstones = await store.forgottenAfter(before, 10);
        assert.deepEqual(tombstones.map((t) => [t.seq, t.clientId, t.appId, t.forgottenAt]), [[before + 1, 'a1', 'A', T0 + 50], [before + 2, 'a2', 'A', T0 + 50]]);
        assert.deepEqual(await store.listApps().then((apps) => apps.map((a) => a.id)), ['B']);
        assert.ok(await store.getClient('B', 'b1'));
        assert.equal((await store.getMessage('B', 'n1'))?.status, 'queued');
        assert.ok(await store.findJwtKey('iss', 'b'));
        assert.deepEqual(await store.auditHead(), headBefore, 'the store appends no audit record: the use case does');

        assert.equal(await store.deleteApp('A', T0 + 60), undefined, 'a second delete finds nothing');
        assert.equal(await store.lastForgottenSeq(), before + 2);
        // The deleted clients' ids are never valid again: a publish to them is refused.
        const outcome = await store.commit(batch({ messages: [message('A', 'a1', 'm9')] }));
        assert.deepEqual(outcome.messages, [{ kind: 'unknown-client' }]);
      }));

    test('deleteApp of an app without clients deletes its row only', () =>
      withStore(async (store) => {
        await store.createApp(app('A'));
        const before = await store.lastForgottenSeq();
        assert.deepEqual((await store.deleteApp('A', T0))?.clients, 0);
        assert.equal(await store.lastForgottenSeq(), before);
        assert.equal(await store.getApp('A'), undefined);
      }));

    test('listClients lists the newest first, of one app or all, at most `limit`', () =>
      withStore(async (store) => {
        await store.createApp(app('A'));
        await store.createApp(app('B'));
        await store.commit(batch({ clients: [client('A', 'a1', 1, T0), client('B', 'b1', 2, T0 + 1), client('A', 'a2', 3, T0 + 2)] }));
        await store.commit(batch({ seen: ['a1'], at: T0 + 9 }));
        assert.deepEqual((await store.listClients(undefined, 10)).map((c) => c.id), ['a2', 'b1', 'a1']);
        assert.deepEqual((await store.listClients('A', 10)).map((c) => c.id), ['a2', 'a1']);
        assert.deepEqual((await store.listClients(undefined, 2)).map((c) => c.id), ['a2', 'b1']);
        assert.deepEqual(await store.listClients('nope', 10), []);
        const a1 = (await store.listClients('A', 10))[1]!;
        assert.deepEqual([a1.appId, a1.createdAt, a1.lastSeenAt, a1.lastSeq], ['A', T0, T0 + 9, 0]);
      }));
  });
}
