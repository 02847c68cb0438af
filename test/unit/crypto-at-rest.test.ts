import { strict as assert } from 'node:assert';
import { createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import sodium from 'sodium-native';
import { isSealPushError } from '../../src/domain/errors.js';
import { utf8Encode } from '../../src/crypto/encoding.js';
import {
  AT_REST_CLIENT_FORMAT,
  AT_REST_CLIENT_GCM_FORMAT,
  AT_REST_FORMAT,
  createPayloadCipher,
  createPayloadKeyring,
  deriveClientKey,
} from '../../src/crypto/node/at-rest.js';

const isInternal = (err: unknown) => isSealPushError(err) && err.code === 'ERR_INTERNAL';

/**
 * A format-2 blob sealed by the AES-256-GCM code this format replaced (main at 7685f54), with
 * the inputs that made it: payloads already stored in that format must keep opening.
 */
const fixture = {
  payloadKey: Uint8Array.from({ length: 32 }, (_, i) => i),
  client: { id: 'c_alice', appId: 'app-1', keySalt: Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i) },
  aad: utf8Encode('sealpush-payload-v1\napp-1\nc_alice\nm_fixture'),
  plaintext: utf8Encode('{"amount":42}'),
  sealed: new Uint8Array(Buffer.from('022aed0641b5d1f5c3e7656e724cd21d733f6f040733f7215033615e6f14c9d6b3f46b6564bd8a393912', 'hex')),
};

describe('at-rest payload cipher', () => {
  const cipher = createPayloadCipher(new Uint8Array(randomBytes(32)));
  const aad = utf8Encode('app-1/msg-1');
  const plaintext = utf8Encode('{"amount":42}');

  it('round-trips, with format byte, fresh nonce and tag', () => {
    const sealed = cipher.seal(plaintext, aad);
    assert.equal(sealed[0], 1);
    assert.equal(sealed.length, 1 + 12 + plaintext.length + 16);
    assert.deepEqual(cipher.open(sealed, aad), plaintext);
    assert.notDeepEqual(cipher.seal(plaintext, aad).subarray(1, 13), sealed.subarray(1, 13));
    assert.deepEqual(cipher.open(cipher.seal(new Uint8Array(0), aad), aad), new Uint8Array(0));
  });

  it('binds the aad', () => {
    const sealed = cipher.seal(plaintext, aad);
    assert.throws(() => cipher.open(sealed, utf8Encode('app-1/msg-2')), isInternal);
    assert.throws(() => cipher.open(sealed, new Uint8Array(0)), isInternal);
  });

  it('rejects altered, truncated, foreign-format or foreign-key blobs', () => {
    const sealed = cipher.seal(plaintext, aad);
    for (const index of [0, 1, 13, sealed.length - 1]) {
      const altered = sealed.slice();
      altered[index] = altered[index]! ^ 1;
      assert.throws(() => cipher.open(altered, aad), isInternal, `byte ${index}`);
    }
    assert.throws(() => cipher.open(sealed.subarray(0, 28), aad), isInternal);
    assert.throws(() => createPayloadCipher(new Uint8Array(randomBytes(32))).open(sealed, aad), isInternal);
    assert.throws(() => createPayloadCipher(new Uint8Array(16)), RangeError);
  });
});

describe('per-client payload ciphers (at-rest format 4)', () => {
  const payloadKey = new Uint8Array(randomBytes(32));
  const keyring = createPayloadKeyring(payloadKey);
  const alice = { id: 'c_alice', appId: 'app-1', keySalt: new Uint8Array(randomBytes(32)) };
  const bob = { id: 'c_bob', appId: 'app-1', keySalt: new Uint8Array(randomBytes(32)) };
  const aad = utf8Encode('app-1/msg-1');
  const plaintext = utf8Encode('{"amount":42}');

  it('round-trips under format 4, and a cipher made again from the same salt opens it', () => {
    const sealed = keyring.forClient(alice).seal(plaintext, aad);
    assert.equal(sealed[0], AT_REST_CLIENT_FORMAT);
    assert.equal(sealed[0], 4);
    assert.equal(sealed.length, 1 + 24 + plaintext.length + 16);
    assert.deepEqual(keyring.forClient(alice).open(sealed, aad), plaintext);
    assert.deepEqual(createPayloadKeyring(payloadKey).forClient({ ...alice, keySalt: alice.keySalt.slice() }).open(sealed, aad), plaintext);
    assert.notDeepEqual(keyring.forClient(alice).seal(plaintext, aad).subarray(1, 25), sealed.subarray(1, 25), 'a fresh nonce');
    const cipher = keyring.forClient(alice);
    assert.deepEqual(cipher.open(cipher.seal(new Uint8Array(0), aad), aad), new Uint8Array(0));
    assert.deepEqual(cipher.open(cipher.seal(plaintext, new Uint8Array(0)), new Uint8Array(0)), plaintext);
  });

  it('binds the aad and rejects altered, truncated or foreign-format format-4 blobs', () => {
    const cipher = keyring.forClient(alice);
    const sealed = cipher.seal(plaintext, aad);
    assert.throws(() => cipher.open(sealed, utf8Encode('app-1/msg-2')), isInternal);
    assert.throws(() => cipher.open(sealed, new Uint8Array(0)), isInternal);
    for (const index of [0, 1, 24, 25, sealed.length - 1]) {
      const altered = sealed.slice();
      altered[index] = altered[index]! ^ 1;
      assert.throws(() => cipher.open(altered, aad), isInternal, `byte ${index}`);
    }
    assert.throws(() => cipher.open(sealed.subarray(0, 40), aad), isInternal);
    assert.throws(() => cipher.open(new Uint8Array(0), aad), isInternal);
    const asFormat2 = sealed.slice();
    asFormat2[0] = AT_REST_CLIENT_GCM_FORMAT;
    assert.throws(() => cipher.open(asFormat2, aad), isInternal, 'format 4 never opens as format 2');
  });

  it('opens only under its own client key: another client, salt, id, app or payload key refuses', () => {
    const sealed = keyring.forClient(alice).seal(plaintext, aad);
    const others = [
      keyring.forClient(bob),
      keyring.forClient({ ...alice, keySalt: new Uint8Array(randomBytes(32)) }),
      keyring.forClient({ ...alice, id: 'c_alice2' }),
      keyring.forClient({ ...alice, appId: 'app-2' }),
      createPayloadKeyring(new Uint8Array(randomBytes(32))).forClient(alice),
    ];
    for (const [i, other] of others.entries()) assert.throws(() => other.open(sealed, aad), isInternal, `cipher ${i}`);
    // Nor is it the node's payload key itself: format 2 never opens as format 1.
    const asFormat1 = sealed.slice();
    asFormat1[0] = AT_REST_FORMAT;
    assert.throws(() => keyring.forClient(alice).open(asFormat1, aad), isInternal);
    assert.throws(() => createPayloadCipher(payloadKey).open(sealed, aad), isInternal);
  });

  it('the client key is HKDF-SHA-256(payload key, salt, "sealpush-client-payload-v1\\n<app>\\n<client>")', () => {
    const expected = new Uint8Array(hkdfSync('sha256', payloadKey, alice.keySalt, 'sealpush-client-payload-v1\napp-1\nc_alice', 32));
    assert.deepEqual(deriveClientKey(payloadKey, alice.keySalt, alice.appId, alice.id), expected);
    const sealed = keyring.forClient(alice).seal(plaintext, aad);
    const opened = new Uint8Array(plaintext.length);
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(opened, null, sealed.subarray(25), aad, sealed.subarray(1, 25), expected);
    assert.deepEqual(opened, plaintext, 'format 4: XChaCha20-Poly1305 under K_c, the message aad as its associated data');
    const old = fixture.sealed;
    const fixtureKey = deriveClientKey(fixture.payloadKey, fixture.client.keySalt, fixture.client.appId, fixture.client.id);
    const decipher = createDecipheriv('aes-256-gcm', fixtureKey, old.subarray(1, 13));
    decipher.setAAD(fixture.aad);
    decipher.setAuthTag(old.subarray(old.length - 16));
    assert.deepEqual(new Uint8Array(Buffer.concat([decipher.update(old.subarray(13, old.length - 16)), decipher.final()])), fixture.plaintext, 'format 2: AES-256-GCM under the same K_c');
    assert.throws(() => deriveClientKey(payloadKey, new Uint8Array(16), 'a', 'c'), RangeError);
  });

  it('fingerprints are HMAC-SHA-256 under K_f = HKDF(K_c, "sealpush-idempotency-v1"): per client, never a plain hash', () => {
    const kc = deriveClientKey(payloadKey, alice.keySalt, alice.appId, alice.id);
    const kf = new Uint8Array(hkdfSync('sha256', kc, new Uint8Array(0), 'sealpush-idempotency-v1', 32));
    const print = keyring.forClient(alice).fingerprint(plaintext);
    assert.deepEqual(print, new Uint8Array(createHmac('sha256', kf).update(plaintext).digest()));
    assert.deepEqual(createPayloadKeyring(payloadKey).forClient(alice).fingerprint(plaintext), print, 'deterministic for one client');
    assert.notDeepEqual(keyring.forClient(bob).fingerprint(plaintext), print, 'another client, another key');
    assert.notDeepEqual(print, new Uint8Array(createHash('sha256').update(plaintext).digest()), 'not guessable without the key');
  });

  it('still opens format 2, sealed with AES-256-GCM under K_c before XChaCha20-Poly1305', () => {
    const client = createPayloadKeyring(fixture.payloadKey).forClient(fixture.client);
    assert.equal(fixture.sealed[0], AT_REST_CLIENT_GCM_FORMAT);
    assert.deepEqual(client.open(fixture.sealed, fixture.aad), fixture.plaintext);
    assert.throws(() => client.open(fixture.sealed, utf8Encode('sealpush-payload-v1\napp-1\nc_alice\nm_other')), isInternal, 'the aad still binds');
    assert.throws(() => createPayloadKeyring(fixture.payloadKey).forClient({ ...fixture.client, id: 'c_bob' }).open(fixture.sealed, fixture.aad), isInternal);
    assert.throws(() => createPayloadCipher(fixture.payloadKey).open(fixture.sealed, fixture.aad), isInternal, 'not under the payload key');
    for (const index of [0, 1, 13, fixture.sealed.length - 1]) {
      const altered = fixture.sealed.slice();
      altered[index] = altered[index]! ^ 1;
      assert.throws(() => client.open(altered, fixture.aad), isInternal, `byte ${index}`);
    }
    assert.throws(() => client.open(fixture.sealed.subarray(0, 28), fixture.aad), isInternal);
    const asFormat4 = fixture.sealed.slice();
    asFormat4[0] = AT_REST_CLIENT_FORMAT;
    assert.throws(() => client.open(asFormat4, fixture.aad), isInternal, 'format 2 never opens as format 4');
  });

  it('still opens format 1, sealed under the payload key before per-client keys', () => {
    const old = createPayloadCipher(payloadKey).seal(plaintext, aad);
    assert.equal(old[0], AT_REST_FORMAT);
    assert.deepEqual(keyring.forClient(alice).open(old, aad), plaintext);
    assert.deepEqual(keyring.forClient(bob).open(old, aad), plaintext, 'format 1 was never per client');
    assert.throws(() => keyring.forClient(alice).open(old, utf8Encode('app-1/msg-2')), isInternal, 'the aad still binds');
    const unknownFormat = old.slice();
    unknownFormat[0] = 3;
    assert.throws(() => keyring.forClient(alice).open(unknownFormat, aad), isInternal);
  });
});
