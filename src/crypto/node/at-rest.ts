/**
 * Message payloads at rest: AES-256-GCM under a data key, with a random 96-bit nonce.
 * Sealed form: `[u8 format = 1][12 nonce][ciphertext][16 tag]`; the caller's aad (which names
 * the message) is authenticated, so a payload cannot be moved to another message.
 * Random nonces bound one key to about 2^32 seals (NIST SP 800-38D); rotate the data key well
 * before that.
 */

import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import { randomBytes } from '../../domain/ids.js';
import { SealPushError } from '../../domain/errors.js';
import type { PayloadCipher } from '../../domain/ports/payload-cipher.js';
import { KEYLEN, TAGLEN } from '../noise/primitives.js';

export const AT_REST_FORMAT = 1;
const NONCE_BYTES = 12;
const HEADER_BYTES = 1 + NONCE_BYTES;

export function createPayloadCipher(key32: Uint8Array): PayloadCipher {
  if (key32.length !== KEYLEN) throw new RangeError('a payload key is 32 bytes');
  const key = createSecretKey(Uint8Array.from(key32));
  return {
    seal(plaintext, aad) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(aad);
      const head = cipher.update(plaintext);
      const tail = cipher.final();
      const out = new Uint8Array(HEADER_BYTES + head.length + tail.length + TAGLEN);
      out[0] = AT_REST_FORMAT;
      out.set(nonce, 1);
      out.set(head, HEADER_BYTES);
      out.set(tail, HEADER_BYTES + head.length);
      out.set(cipher.getAuthTag(), HEADER_BYTES + head.length + tail.length);
      return out;
    },
    open(sealed, aad) {
      try {
        if (sealed.length < HEADER_BYTES + TAGLEN || sealed[0] !== AT_REST_FORMAT) throw new Error('bad format');
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, HEADER_BYTES));
        decipher.setAAD(aad);
        decipher.setAuthTag(sealed.subarray(sealed.length - TAGLEN));
        const head = decipher.update(sealed.subarray(HEADER_BYTES, sealed.length - TAGLEN));
        const tail = decipher.final();
        return new Uint8Array(tail.length === 0 ? head : Buffer.concat([head, tail]));
      } catch {
        throw new SealPushError('ERR_INTERNAL', 'a stored payload failed to authenticate');
      }
    },
  };
}
