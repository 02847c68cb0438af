/**
 * NoiseCrypto on node:crypto, for the server's handshakes. The operations are synchronous
 * underneath; the promises only satisfy the shared interface.
 */

import { type KeyObject, createCipheriv, createDecipheriv, createHash, createHmac, diffieHellman } from 'node:crypto';
import { DHLEN, TAGLEN, counterNonce, rekeyNonce, type KeyPair, type NoiseCrypto } from '../noise/primitives.js';
import {
  generateStaticKeyPair,
  importPrivateKey,
  importPublicKey,
  isNodeKeyHandle,
  staticKeyPairFromPrivate,
} from './keys.js';

const REKEY_ZEROS = new Uint8Array(32);

/** AES-256-GCM seal; returns a Buffer of ciphertext || tag. Shared with the frame cipher. */
export function aesGcmSeal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  if (ad.length > 0) cipher.setAAD(ad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  return Buffer.concat([head, tail, cipher.getAuthTag()]);
}

/** AES-256-GCM open; throws when the input is shorter than a tag or does not authenticate. */
export function aesGcmOpen(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length < TAGLEN) throw new Error('ciphertext shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAGLEN));
  if (ad.length > 0) decipher.setAAD(ad);
  const head = decipher.update(sealed.subarray(0, sealed.length - TAGLEN));
  const tail = decipher.final();
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

/** Noise REKEY(k), synchronously. */
export function aesGcmRekey(key: Uint8Array): Uint8Array {
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

export const nodeNoiseCrypto: NoiseCrypto = {
  generateKeyPair: async () => generateStaticKeyPair(),
  keyPairFromPrivate: async (privateKey) => staticKeyPairFromPrivate(privateKey),
  dh: async (keyPair, remotePublic) => x25519(keyPair, remotePublic),
  encrypt: async (key, nonce, ad, plaintext) => toBytes(aesGcmSeal(key, counterNonce(nonce), ad, plaintext)),
  decrypt: async (key, nonce, ad, ciphertext) => toBytes(aesGcmOpen(key, counterNonce(nonce), ad, ciphertext)),
  rekey: async (key) => aesGcmRekey(key),
  hash: async (data) => toBytes(createHash('sha256').update(data).digest()),
  hmac: async (key, data) => toBytes(createHmac('sha256', key).update(data).digest()),
};
