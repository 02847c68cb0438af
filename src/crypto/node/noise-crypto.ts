/**
 * NoiseCrypto for the server and the Node SDK: X25519, SHA-256 and HMAC on node:crypto, and
 * either cipher: `nodeNoiseCrypto` is the channel's suite (25519_ChaChaPoly_SHA256, on
 * sodium-native), `nodeAesGcmNoiseCrypto` the AESGCM suite (node:crypto), kept passing its
 * published vectors. The operations are synchronous underneath; the promises only satisfy
 * the shared interface.
 */

import { type KeyObject, createCipheriv, createDecipheriv, createHash, createHmac, diffieHellman } from 'node:crypto';
import { chaChaPolyCipher } from '../noise/chachapoly.js';
import { DHLEN, TAGLEN, aesGcmNonce, rekeyNonce, type KeyPair, type NoiseCrypto } from '../noise/primitives.js';
import { sodiumChaChaPoly } from './chachapoly.js';
import {
  generateStaticKeyPair,
  importPrivateKey,
  importPublicKey,
  isNodeKeyHandle,
  staticKeyPairFromPrivate,
} from './keys.js';

const REKEY_ZEROS = new Uint8Array(32);

/** AES-256-GCM seal; returns a Buffer of ciphertext || tag. */
function aesGcmSeal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  if (ad.length > 0) cipher.setAAD(ad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  return Buffer.concat([head, tail, cipher.getAuthTag()]);
}

/** AES-256-GCM open; throws when the input is shorter than a tag or does not authenticate. */
function aesGcmOpen(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length < TAGLEN) throw new Error('ciphertext shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAGLEN));
  if (ad.length > 0) decipher.setAAD(ad);
  const head = decipher.update(sealed.subarray(0, sealed.length - TAGLEN));
  const tail = decipher.final();
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

/** Noise REKEY(k) of the AESGCM suite, synchronously. */
function aesGcmRekey(key: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, rekeyNonce());
  return new Uint8Array(Buffer.concat([cipher.update(REKEY_ZEROS), cipher.final()]));
}

function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Imported remote keys, by the identity of their bytes: a handshake passes the same `re` and
 * `rs` arrays to two DH operations each, and an import costs a third of a DH.
 */
const importedPublicKeys = new WeakMap<Uint8Array, KeyObject>();

function publicKeyObject(raw: Uint8Array): KeyObject {
  let key = importedPublicKeys.get(raw);
  if (!key) importedPublicKeys.set(raw, (key = importPublicKey(raw)));
  return key;
}

function x25519(keyPair: KeyPair, remotePublic: Uint8Array): Uint8Array {
  const privateKey = isNodeKeyHandle(keyPair.handle) ? keyPair.handle.privateKey : importPrivateKey(keyPair.privateKey);
  const shared = diffieHellman({ privateKey, publicKey: publicKeyObject(remotePublic) });
  if (shared.length !== DHLEN || shared.every((b) => b === 0)) throw new Error('invalid X25519 shared secret');
  return toBytes(shared);
}

/** Everything but the cipher, shared by both suites. */
const nodeDhAndHash = {
  generateKeyPair: async () => generateStaticKeyPair(),
  keyPairFromPrivate: async (privateKey: Uint8Array) => staticKeyPairFromPrivate(privateKey),
  dh: async (keyPair: KeyPair, remotePublic: Uint8Array) => x25519(keyPair, remotePublic),
  hash: async (data: Uint8Array) => toBytes(createHash('sha256').update(data).digest()),
  hmac: async (key: Uint8Array, data: Uint8Array) => toBytes(createHmac('sha256', key).update(data).digest()),
} satisfies Omit<NoiseCrypto, 'suite' | 'encrypt' | 'decrypt' | 'rekey'>;

/** The channel's suite (sealpush v3): 25519_ChaChaPoly_SHA256. */
export const nodeNoiseCrypto: NoiseCrypto = { ...nodeDhAndHash, ...chaChaPolyCipher(sodiumChaChaPoly) };

/** The 25519_AESGCM_SHA256 suite, for its published vectors. */
export const nodeAesGcmNoiseCrypto: NoiseCrypto = {
  ...nodeDhAndHash,
  suite: '25519_AESGCM_SHA256',
  encrypt: async (key, nonce, ad, plaintext) => toBytes(aesGcmSeal(key, aesGcmNonce(nonce), ad, plaintext)),
  decrypt: async (key, nonce, ad, ciphertext) => toBytes(aesGcmOpen(key, aesGcmNonce(nonce), ad, ciphertext)),
  rekey: async (key) => aesGcmRekey(key),
};
