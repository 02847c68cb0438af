/**
 * NoiseCrypto for the browser SDK: X25519, SHA-256 and HMAC on WebCrypto
 * (`globalThis.crypto.subtle`), and either cipher: `webNoiseCrypto` is the channel's suite
 * (25519_ChaChaPoly_SHA256, on @noble/ciphers: WebCrypto has no ChaCha20-Poly1305),
 * `webAesGcmNoiseCrypto` the AESGCM suite on WebCrypto, kept passing its published vectors.
 * Runs unchanged in browsers with X25519 support and in Node 20's WebCrypto.
 */

import { base64urlDecode, concatBytes } from '../encoding.js';
import { chaChaPolyCipher } from '../noise/chachapoly.js';
import { DHLEN, TAGLEN, aesGcmNonce, rekeyNonce, type KeyPair, type NoiseCrypto } from '../noise/primitives.js';
import { nobleChaChaPoly } from './chachapoly.js';

/** PKCS#8 DER of an X25519 private key is this prefix followed by the 32 raw bytes. */
const PKCS8_PREFIX = Uint8Array.of(
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
);
const X25519 = { name: 'X25519' } as const;
const HMAC_SHA256 = { name: 'HMAC', hash: 'SHA-256' } as const;

function subtle(): SubtleCrypto {
  return globalThis.crypto.subtle;
}

/** WebCrypto wants ArrayBuffer-backed views; copy anything else (a view of a SharedArrayBuffer). */
export function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** The web implementation's handle: the imported private key. */
interface WebKeyHandle {
  readonly kind: 'web-x25519';
  readonly privateKey: CryptoKey;
}

function isWebKeyHandle(handle: unknown): handle is WebKeyHandle {
  return typeof handle === 'object' && handle !== null && (handle as { kind?: unknown }).kind === 'web-x25519';
}

async function importPrivate(raw32: Uint8Array): Promise<CryptoKey> {
  if (raw32.length !== DHLEN) throw new RangeError('an X25519 private key is 32 bytes');
  // Extractable so that the public key can be read back as JWK `x`; it never leaves this module.
  return subtle().importKey('pkcs8', concatBytes(PKCS8_PREFIX, raw32), X25519, true, ['deriveBits']);
}

async function keyPairFromPrivate(raw32: Uint8Array): Promise<KeyPair> {
  const privateKey = await importPrivate(raw32);
  const jwk = await subtle().exportKey('jwk', privateKey);
  if (typeof jwk.x !== 'string') throw new Error('X25519 JWK without x');
  const handle: WebKeyHandle = { kind: 'web-x25519', privateKey };
  return { publicKey: base64urlDecode(jwk.x), privateKey: raw32.slice(), handle };
}

async function generateKeyPair(): Promise<KeyPair> {
  const pair = (await subtle().generateKey(X25519, true, ['deriveBits'])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
  const publicKey = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  const handle: WebKeyHandle = { kind: 'web-x25519', privateKey: pair.privateKey };
  return { publicKey, privateKey: pkcs8.slice(pkcs8.length - DHLEN), handle };
}

async function dh(keyPair: KeyPair, remotePublic: Uint8Array): Promise<Uint8Array> {
  if (remotePublic.length !== DHLEN) throw new RangeError('an X25519 public key is 32 bytes');
  const privateKey = isWebKeyHandle(keyPair.handle) ? keyPair.handle.privateKey : await importPrivate(keyPair.privateKey);
  const publicKey = await subtle().importKey('raw', ownBytes(remotePublic), X25519, true, []);
  const shared = new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: publicKey }, privateKey, 256));
  if (shared.every((b) => b === 0)) throw new Error('invalid X25519 shared secret');
  return shared;
}

/** Imports a 32-byte AES-256-GCM key for encrypt and decrypt. */
async function importAesKey(key: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', ownBytes(key), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** AES-GCM seal with an imported key: ciphertext || tag. */
async function aesGcmSeal(
  key: CryptoKey,
  nonce: Uint8Array<ArrayBuffer>,
  ad: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const params = { name: 'AES-GCM', iv: nonce, additionalData: ownBytes(ad), tagLength: TAGLEN * 8 };
  return new Uint8Array(await subtle().encrypt(params, key, ownBytes(plaintext)));
}

/** AES-GCM open with an imported key; rejects when the tag does not verify. */
async function aesGcmOpen(
  key: CryptoKey,
  nonce: Uint8Array<ArrayBuffer>,
  ad: Uint8Array,
  sealed: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  if (sealed.length < TAGLEN) throw new Error('ciphertext shorter than its tag');
  const params = { name: 'AES-GCM', iv: nonce, additionalData: ownBytes(ad), tagLength: TAGLEN * 8 };
  return new Uint8Array(await subtle().decrypt(params, key, ownBytes(sealed)));
}

/** Noise REKEY(k) of the AESGCM suite: first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zero bytes). */
async function aesGcmRekey(key: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const sealed = await aesGcmSeal(await importAesKey(key), rekeyNonce(), new Uint8Array(0), new Uint8Array(32));
  return sealed.slice(0, 32);
}

/** Everything but the cipher, shared by both suites. */
const webDhAndHash = {
  generateKeyPair,
  keyPairFromPrivate,
  dh,
  hash: async (data: Uint8Array) => new Uint8Array(await subtle().digest('SHA-256', ownBytes(data))),
  hmac: async (key: Uint8Array, data: Uint8Array) => {
    const hmacKey = await subtle().importKey('raw', ownBytes(key), HMAC_SHA256, false, ['sign']);
    return new Uint8Array(await subtle().sign('HMAC', hmacKey, ownBytes(data)));
  },
} satisfies Omit<NoiseCrypto, 'suite' | 'encrypt' | 'decrypt' | 'rekey'>;

/** The channel's suite (sealpush v3): 25519_ChaChaPoly_SHA256. */
export const webNoiseCrypto: NoiseCrypto = { ...webDhAndHash, ...chaChaPolyCipher(nobleChaChaPoly) };

/** The 25519_AESGCM_SHA256 suite, for its published vectors. */
export const webAesGcmNoiseCrypto: NoiseCrypto = {
  ...webDhAndHash,
  suite: '25519_AESGCM_SHA256',
  encrypt: async (key, nonce, ad, plaintext) => aesGcmSeal(await importAesKey(key), aesGcmNonce(nonce), ad, plaintext),
  decrypt: async (key, nonce, ad, ciphertext) => aesGcmOpen(await importAesKey(key), aesGcmNonce(nonce), ad, ciphertext),
  rekey: aesGcmRekey,
};
