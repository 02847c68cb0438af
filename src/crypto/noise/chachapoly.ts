/**
 * Noise's ChaChaPoly cipher functions (spec section 12.3) over an IETF ChaCha20-Poly1305
 * (RFC 8439) that the platform supplies, synchronously: sodium-native on Node (libsodium on
 * the caller's buffers: no cipher object per operation, about a quarter of node:crypto's
 * AES-GCM cost per frame, scripts/measure-aead.ts), @noble/ciphers in browsers (WebCrypto has
 * no ChaCha20-Poly1305). Browser-safe.
 */

import { KEYLEN, chaChaPolyNonce, rekeyNonce, type NoiseCrypto } from './primitives.js';

/** One platform's ChaCha20-Poly1305. Inputs are not modified; outputs are fresh arrays. */
export interface ChaChaPolyAead {
  /** Returns ciphertext || 16-byte tag. */
  seal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Throws (any error) when `sealed` is shorter than a tag or does not authenticate. */
  open(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array;
}

const EMPTY = new Uint8Array(0);
const REKEY_ZEROS = new Uint8Array(KEYLEN);

/** Noise REKEY(k): the first 32 bytes of ENCRYPT(k, 2^64-1, empty ad, 32 zero bytes). */
export function chaChaPolyRekey(aead: ChaChaPolyAead, key: Uint8Array): Uint8Array {
  return aead.seal(key, rekeyNonce(), EMPTY, REKEY_ZEROS).slice(0, KEYLEN);
}

/** The cipher half of a NoiseCrypto of the `25519_ChaChaPoly_SHA256` suite. */
export function chaChaPolyCipher(aead: ChaChaPolyAead): Pick<NoiseCrypto, 'suite' | 'encrypt' | 'decrypt' | 'rekey'> {
  return {
    suite: '25519_ChaChaPoly_SHA256',
    encrypt: async (key, counter, ad, plaintext) => aead.seal(key, chaChaPolyNonce(counter), ad, plaintext),
    decrypt: async (key, counter, ad, ciphertext) => aead.open(key, chaChaPolyNonce(counter), ad, ciphertext),
    rekey: async (key) => chaChaPolyRekey(aead, key),
  };
}
