/**
 * ChaCha20-Poly1305 on sodium-native for the server and the Node SDK: libsodium writes into
 * buffers we allocate, so an operation costs the arithmetic and one array, not a node:crypto
 * cipher object (scripts/measure-aead.ts).
 */

import sodium from 'sodium-native';
import type { ChaChaPolyAead } from '../noise/chachapoly.js';
import { TAGLEN } from '../noise/primitives.js';

export const sodiumChaChaPoly: ChaChaPolyAead = {
  seal(key, nonce, ad, plaintext) {
    // A plain Uint8Array, not a Buffer: callers may slice() it and expect a copy.
    const sealed = new Uint8Array(plaintext.length + TAGLEN);
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(sealed, plaintext, ad.length > 0 ? ad : null, null, nonce, key);
    return sealed;
  },
  open(key, nonce, ad, sealed) {
    if (sealed.length < TAGLEN) throw new Error('ciphertext shorter than its tag');
    const plaintext = new Uint8Array(sealed.length - TAGLEN);
    sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plaintext, null, sealed, ad.length > 0 ? ad : null, nonce, key);
    return plaintext;
  },
};
