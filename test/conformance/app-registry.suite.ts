/**
 * AppRegistry (src/domain/ports/app-registry.ts), run against every driver: apps, their delivery
 * settings, receipts switch and signing key, the secret rotation and the deletion of an app with
 * everything of it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DIRECT_DELIVERY, cohortDelivery } from '../../src/domain/delivery-settings.js';
import type { Store } from '../../src/domain/ports/store.js';
import { T0, hex, key, app, appWithSecret, secret, client, msg, batch, withFreshStore, type StoreFactory, type StoreFixture } from './store-fixture.js';

export function runAppRegistryConformance(driverName: string, factory: StoreFactory): void {
  const withStore = (fn: (fx: StoreFixture, store: Store) => Promise<void>): Promise<void> => withFreshStore(factory, fn);

  describe(`AppRegistry conformance: ${driverName}`, () => {
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

    test('rotateAppSecret makes the new secret current and the old one previous with its end; a second rotation drops the first', () =>
      withStore(async (_fx, store) => {
        await store.createApp(appWithSecret('A', 1));
        await store.createApp(appWithSecret('B', 9));
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

    test('deleteApp deletes its clients (with tombstones), messages, receipts, bearer keys and row, and nothing of another app', () =>
      withStore(async (_fx, store) => {
        await store.createApp(appWithSecret('A'));
        await store.createApp(appWithSecret('B'));
        await store.commit(batch({ clients: [client('A', 'a1', 1), client('A', 'a2', 2), client('B', 'b1', 3)] }));
        await store.commit(batch({ messages: [msg('A', 'a1', 'm1'), msg('A', 'a1', 'm2'), msg('A', 'a2', 'm3'), msg('B', 'b1', 'n1')] }));
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
        const outcome = await store.commit(batch({ messages: [msg('A', 'a1', 'm9')] }));
        assert.deepEqual(outcome.messages, [{ kind: 'unknown-client' }]);
      }));

    test('deleteApp of an app without clients deletes its row only', () =>
      withStore(async (_fx, store) => {
        await store.createApp(appWithSecret('A'));
        const before = await store.lastForgottenSeq();
        assert.deepEqual((await store.deleteApp('A', T0))?.clients, 0);
        assert.equal(await store.lastForgottenSeq(), before);
        assert.equal(await store.getApp('A'), undefined);
      }));
  });
}
