/**
 * Server key fingerprint, browser-safe (WebCrypto). Returns the same string as the node
 * `fingerprint` in ./node/keys.ts.
 */

import { base64urlEncode, concatBytes, utf8Encode } from './encoding.js';

/** Domain separation: a fingerprint can never collide with another hash of the key. */
export const FINGERPRINT_CONTEXT = 'sealpush-server-key-v1';
/** 16 base64url characters: 96 bits. */
export const FINGERPRINT_LENGTH = 16;

/** First 16 chars of base64url(SHA-256("sealpush-server-key-v1" || publicKey)). */
export async function fingerprint(publicKey: Uint8Array): Promise<string> {
  const input = concatBytes(utf8Encode(FINGERPRINT_CONTEXT), publicKey);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', input));
  return base64urlEncode(digest).slice(0, FINGERPRINT_LENGTH);
}
