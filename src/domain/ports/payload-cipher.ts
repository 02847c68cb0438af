/**
 * Seals message payloads at rest, so that the store never holds one in the clear.
 *
 * Contract: `open(seal(p, aad), aad)` returns p; a different aad, or any altered byte,
 * throws. Synchronous: it runs on the publish hot path.
 */
export interface PayloadCipher {
  seal(plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  open(sealed: Uint8Array, aad: Uint8Array): Uint8Array;
}
