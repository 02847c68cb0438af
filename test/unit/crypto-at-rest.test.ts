import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isSealPushError } from '../../src/domain/errors.js';
import { utf8Encode } from '../../src/crypto/encoding.js';
import { createPayloadCipher } from '../../src/crypto/node/at-rest.js';

const isInternal = (err: unknown) => isSealPushError(err) && err.code === 'ERR_INTERNAL';

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
