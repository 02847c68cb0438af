/**
 * ChaCha20-Poly1305 on @noble/ciphers (audited, pure JS) for the browser SDK: WebCrypto has no
 * ChaCha20-Poly1305. Synchronous, so the SDK's frame ciphers need no promise per frame.
 */

import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { ChaChaPolyAead } from '../noise/chachapoly.js';
import { TAGLEN } from '../noise/primitives.js';

// @noble/ciphers refuses a second encrypt() on one instance (a nonce reuse guard): one per call.
export const nobleChaChaPoly: ChaChaPolyAead = {
  seal: (key, nonce, ad, plaintext) => chacha20poly1305(key, nonce, ad.length > 0 ? ad : undefined).encrypt(plaintext),
  open(key, nonce, ad, sealed) {
    if (sealed.length < TAGLEN) throw new Error('ciphertext shorter than its tag');
    return chacha20poly1305(key, nonce, ad.length > 0 ? ad : undefined).decrypt(sealed);
  },
};
