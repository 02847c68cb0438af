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

/**
 * One client's at-rest cipher, which also fingerprints a publish's parameters for the
 * idempotency check (docs/api.md): a keyed MAC, so that a database reader cannot confirm a
 * guess of a low-entropy payload from the stored fingerprint.
 *
 * Contract: equal inputs give equal 32-byte fingerprints under one client's cipher; without
 * the client's key, a fingerprint tells nothing of its input. Synchronous, no I/O.
 */
export interface ClientPayloadCipher extends PayloadCipher {
  fingerprint(parameters: Uint8Array): Uint8Array;
}

/**
 * Makes the at-rest cipher of one client from its key salt (the `keySalt` of its row).
 *
 * Contract: what one client's cipher seals, no other client's cipher opens, even with the
 * same aad; without the salt the key cannot be made again. A client's cipher also opens
 * payloads sealed before per-client keys existed. Synchronous and cheap enough to run on a
 * cache miss of the publish path (a key derivation, no I/O).
 */
export interface PayloadKeyring {
  forClient(client: { readonly id: string; readonly appId: string; readonly keySalt: Uint8Array }): ClientPayloadCipher;
}
