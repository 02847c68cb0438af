/**
 * KeyVault (src/domain/ports/key-vault.ts), run against every driver: operator credentials,
 * versioned server keys, and the wrapped columns a master-key rotation pages and replaces.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/domain/ports/store.js';
import { T0, HOUR, hex, key, app, appWithSecret, secret, withFreshStore, type StoreFactory, type StoreFixture } from './store-fixture.js';

export function runKeyVaultConformance(driverName: string, factory: StoreFactory): void {
  const withStore = (fn: (fx: StoreFixture, store: Store) => Promise<void>): Promise<void> => withFreshStore(factory, fn);

  describe(`KeyVault conformance: ${driverName}`, () => {
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

    test('server key epochs: insert-if-absent per version, the first one stored wins, versions outside the window are erased', () => withStore(async (fx, store) => {
      const epoch = (version: number, n: number) => ({ purpose: 'ticket', version, publicKey: new Uint8Array(0), wrappedSecret: key(n), createdAt: T0 + n });
      const secretOf = (k: { wrappedSecret: Uint8Array } | undefined) => hex(k?.wrappedSecret);
      assert.equal(secretOf(await store.putServerKeyEpoch(epoch(100, 1), { from: 99, to: 101 })), hex(key(1)));
      assert.equal(secretOf(await store.putServerKeyEpoch(epoch(100, 2), { from: 99, to: 101 })), hex(key(1)), 'a second node gets the first key');
      await store.putServerKeyEpoch(epoch(101, 3), { from: 100, to: 102 });
      assert.deepEqual((await store.listServerKeys('ticket')).map((k) => k.version), [101, 100]);
      // Two epochs on: 100 is out of the window and erased, wrapped secret and all.
      await store.putServerKeyEpoch(epoch(102, 4), { from: 101, to: 103 });
      assert.deepEqual((await (await fx.reopen()).listServerKeys('ticket')).map((k) => [k.version, secretOf(k)]), [[102, hex(key(4))], [101, hex(key(3))]]);
      assert.equal((await store.getServerKey('ticket'))?.version, 102);
      assert.deepEqual(await store.listServerKeys('noise-static'), [], 'other purposes untouched');
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

    test('the previous secret is a wrapped column: paged and replaced (compare-and-set) by a master-key rotation', () =>
      withStore(async (_fx, store) => {
        await store.createApp(appWithSecret('A', 1));
        await store.createApp(appWithSecret('B', 2));
        await store.rotateAppSecret('B', secret(3), T0 + 1000);
        const blobs = await store.wrappedBlobs('apps.previous_wrapped_secret', null, 10);
        assert.deepEqual(blobs.map((b) => [b.key, new Uint8Array(b.blob)]), [[['B'], secret(2)]], 'only apps with a previous secret');
        assert.equal(await store.replaceWrappedBlobs('apps.previous_wrapped_secret', [{ key: ['B'], expected: secret(7), replacement: secret(8) }]), 0);
        assert.equal(await store.replaceWrappedBlobs('apps.previous_wrapped_secret', [{ key: ['B'], expected: secret(2), replacement: secret(8) }]), 1);
        const b = await store.getApp('B');
        assert.deepEqual([new Uint8Array(b!.previousWrappedSecret!), new Uint8Array(b!.wrappedSecret)], [secret(8), secret(3)]);
      }));
  });
}
