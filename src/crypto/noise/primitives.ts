/**
 * The primitives a Noise `25519_AESGCM_SHA256` state machine needs, as one interface, so that
 * the same handshake code runs on node:crypto (server) and on WebCrypto (browser SDK).
 * Browser-safe.
 */

import { writeU64 } from '../encoding.js';

/** Noise DHLEN for Curve25519. */
export const DHLEN = 32;
/** Noise HASHLEN for SHA-256. */
export const HASHLEN = 32;
/** AES-256-GCM key length. */
export const KEYLEN = 32;
/** AES-GCM tag length, appended to every ciphertext. */
export const TAGLEN = 16;
/** The suite part of every protocol name this module can run. */
export const SUITE_NAME = '25519_AESGCM_SHA256';
/**
 * Largest counter this implementation uses. Noise reserves 2^64-1; JavaScript numbers are exact
 * only up to 2^53-1, so a CipherState refuses to go past this (centuries at any real rate).
 */
export const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

export interface KeyPair {
  /** 32 raw bytes. */
  readonly publicKey: Uint8Array;
  /** 32 raw bytes (the X25519 scalar as given, unclamped). */
  readonly privateKey: Uint8Array;
  /**
   * The implementation's imported form of the private key (a node KeyObject, a WebCrypto
   * CryptoKey), so that it is imported once. Another implementation ignores it and imports
   * `privateKey` itself.
   */
  readonly handle?: unknown;
}

/**
 * Contract for every method: inputs are not modified; outputs are fresh arrays. Keys are 32
 * bytes, nonces are Noise counters (0..MAX_COUNTER) encoded as 4 zero bytes || u64 big-endian.
 */
export interface NoiseCrypto {
  generateKeyPair(): Promise<KeyPair>;
  /** Derives the public key; rejects if `privateKey` is not 32 bytes. */
  keyPairFromPrivate(privateKey: Uint8Array): Promise<KeyPair>;
  /** X25519; rejects on a malformed public key or an all-zero shared secret. */
  dh(keyPair: KeyPair, remotePublic: Uint8Array): Promise<Uint8Array>;
  /** AES-256-GCM: returns ciphertext || 16-byte tag. */
  encrypt(key: Uint8Array, nonce: number, ad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Rejects (with any error) when the tag does not verify. */
  decrypt(key: Uint8Array, nonce: number, ad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
  /**
   * Noise REKEY(k): the first 32 bytes of ENCRYPT(k, 2^64-1, empty ad, 32 zero bytes). A method
   * of its own because the reserved nonce 2^64-1 is not a safe JavaScript integer.
   */
  rekey(key: Uint8Array): Promise<Uint8Array>;
  hash(data: Uint8Array): Promise<Uint8Array>;
  hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}

/** The 12-byte AES-GCM nonce for Noise counter `counter`. */
export function counterNonce(counter: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  writeU64(nonce, 4, counter);
  return nonce;
}

/** The 12-byte nonce of Noise's reserved counter 2^64-1, used only by REKEY. */
export function rekeyNonce(): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  nonce.fill(0xff, 4);
  return nonce;
}
