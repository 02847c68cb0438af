/** Ed25519 on node:crypto: the server's SignatureVerifier and the Node client SDK's verify. */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { SignatureVerifier } from '../../domain/ports/signature-verifier.js';
import { base64urlDecode, concatBytes, hexDecode } from '../encoding.js';

/** SPKI DER of an Ed25519 public key: this prefix, then the 32 raw bytes. */
const ED25519_SPKI_PREFIX = hexDecode('302a300506032b6570032100');

/** Imported keys, kept: importing costs more than a verify (CRYPTO-NOTES.md). Bounded. */
const keys = new Map<string, KeyObject>();
const MAX_KEYS = 1024;

function publicKeyObject(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw).toString('base64url');
  let key = keys.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(concatBytes(ED25519_SPKI_PREFIX, raw)), format: 'der', type: 'spki' });
    if (keys.size >= MAX_KEYS) keys.clear();
    keys.set(id, key);
  }
  return key;
}

/** True only for a valid signature; any malformed key or signature is false. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

export const nodeSignatureVerifier: SignatureVerifier = {
  verifyEd25519(publicKey, message, signature) {
    let sig: Uint8Array;
    try {
      sig = base64urlDecode(signature);
    } catch {
      return false;
    }
    return verifyEd25519(publicKey, message, sig);
  },
};
