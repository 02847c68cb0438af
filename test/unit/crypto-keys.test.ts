import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { fingerprint as webFingerprint } from '../../src/crypto/fingerprint.js';
import { fingerprint, generateStaticKeyPair, staticKeyPairFromPrivate } from '../../src/crypto/node/keys.js';
import { nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';
import { webNoiseCrypto } from '../../src/crypto/web/noise-crypto.js';

describe('static keys', () => {
  it('node and WebCrypto derive the same public key and agree on DH', async () => {
    const a = generateStaticKeyPair();
    const b = await webNoiseCrypto.generateKeyPair();
    assert.equal(a.publicKey.length, 32);
    assert.deepEqual(staticKeyPairFromPrivate(a.privateKey).publicKey, a.publicKey);
    assert.deepEqual((await webNoiseCrypto.keyPairFromPrivate(a.privateKey)).publicKey, a.publicKey);
    assert.deepEqual((await nodeNoiseCrypto.keyPairFromPrivate(b.privateKey)).publicKey, b.publicKey);
    const ab = await nodeNoiseCrypto.dh(a, b.publicKey);
    assert.deepEqual(await webNoiseCrypto.dh(b, a.publicKey), ab);
    // Each implementation accepts the other's key pair (it re-imports the raw private key).
    assert.deepEqual(await webNoiseCrypto.dh(a, b.publicKey), ab);
    assert.deepEqual(await nodeNoiseCrypto.dh(b, a.publicKey), ab);
  });

  it('rejects a low-order public key (all-zero shared secret)', async () => {
    const a = generateStaticKeyPair();
    await assert.rejects(nodeNoiseCrypto.dh(a, new Uint8Array(32)));
    await assert.rejects(webNoiseCrypto.dh(a, new Uint8Array(32)));
  });

  it('fingerprint is 16 base64url chars of SHA-256(context || key), same on both', async () => {
    const { publicKey } = generateStaticKeyPair();
    const expected = createHash('sha256').update('sealpush-server-key-v1').update(publicKey).digest('base64url').slice(0, 16);
    assert.equal(fingerprint(publicKey), expected);
    assert.equal(await webFingerprint(publicKey), expected);
  });
});
