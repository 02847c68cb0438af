/**
 * The primitives a Noise `25519_{AESGCM,ChaChaPoly}_SHA256` state machine needs, as one
 * interface, so that the same handshake code runs on either cipher and on any platform: the
 * server and the Node SDK (node:crypto, sodium-native), the browser SDK (WebCrypto,
 * @noble/ciphers). The two ciphers share key, tag and nonce sizes; they differ in the byte
 * order of the counter in the nonce. Browser-safe.
 */

import { writeU64 } from '../encoding.js';

/** Noise DHLEN for Curve25519. */
export const DHLEN = 32;
/** Noise HASHLEN for SHA-256. */
export const HASHLEN = 32;
/** AEAD key length (AES-256-GCM and ChaCha20-Poly1305 alike). */
export const KEYLEN = 32;
/** Noise's pre-shared key length (section 9.1). */
export const PSKLEN = 32;
/** AEAD tag length, appended to every ciphertext (a GCM tag or a Poly1305 tag). */
export const TAGLEN = 16;
/** The suites, as the last part of a Noise protocol name. sealpush v3 speaks ChaChaPoly. */
export type NoiseSuite = '25519_AESGCM_SHA256' | '25519_ChaChaPoly_SHA256';
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
 * bytes, nonces are Noise counters (0..MAX_COUNTER) encoded as the suite's cipher says:
 * 4 zero bytes || u64 big-endian for AESGCM, 4 zero bytes || u64 little-endian for
 * ChaChaPoly (Noise spec section 12).
 */
export interface NoiseCrypto {
  /** The suite whose cipher `encrypt`, `decrypt` and `rekey` run; it names the protocol. */
  readonly suite: NoiseSuite;
  generateKeyPair(): Promise<KeyPair>;
  /** Derives the public key; rejects if `privateKey` is not 32 bytes. */
  keyPairFromPrivate(privateKey: Uint8Array): Promise<KeyPair>;
  /** X25519; rejects on a malformed public key or an all-zero shared secret. */
  dh(keyPair: KeyPair, remotePublic: Uint8Array): Promise<Uint8Array>;
  /** The suite's AEAD: returns ciphertext || 16-byte tag. */
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

/** The 12-byte AESGCM nonce for Noise counter `counter`: 4 zero bytes || u64 big-endian. */
export function aesGcmNonce(counter: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  writeU64(nonce, 4, counter);
  return nonce;
}

/** The 12-byte ChaChaPoly nonce for Noise counter `counter`: 4 zero bytes || u64 little-endian. */
export function chaChaPolyNonce(counter: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  writeChaChaPolyCounter(nonce, counter);
  return nonce;
}

/** Writes `counter` into bytes 4..11 of a ChaChaPoly nonce (bytes 0..3 stay as they are: zero). */
export function writeChaChaPolyCounter(nonce: Uint8Array, counter: number): void {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('Noise counter out of range');
  const low = counter >>> 0;
  const high = Math.floor(counter / 0x1_0000_0000);
  nonce[4] = low & 0xff;
  nonce[5] = (low >>> 8) & 0xff;
  nonce[6] = (low >>> 16) & 0xff;
  nonce[7] = low >>> 24;
  nonce[8] = high & 0xff;
  nonce[9] = (high >>> 8) & 0xff;
  nonce[10] = (high >>> 16) & 0xff;
  nonce[11] = high >>> 24;
}

/** The 12-byte nonce of Noise's reserved counter 2^64-1, used only by REKEY: the same bytes in either order. */
export function rekeyNonce(): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  nonce.fill(0xff, 4);
  return nonce;
}
