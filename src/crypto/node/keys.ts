/**
 * X25519 static keys on node:crypto, and the server key fingerprint. The private key stays in
 * a KeyObject handle so that it is imported once per process, not per handshake.
 */

import { type KeyObject, createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { base64urlDecode, base64urlEncode, concatBytes, utf8Encode } from '../encoding.js';
import { FINGERPRINT_CONTEXT, FINGERPRINT_LENGTH } from '../fingerprint.js';
import { DHLEN, type KeyPair } from '../noise/primitives.js';

/**
 * The `x` of a private JWK this module imports: Node reads it as 32 bytes only and derives the
 * public key from `d` (a test checks that the exported `x` is the real one).
 */
const PLACEHOLDER_X = base64urlEncode(new Uint8Array(DHLEN));

/** The node implementation's handle: the imported private key. */
export interface NodeKeyHandle {
  readonly kind: 'node-x25519';
  readonly privateKey: KeyObject;
}

export function isNodeKeyHandle(handle: unknown): handle is NodeKeyHandle {
  return typeof handle === 'object' && handle !== null && (handle as { kind?: unknown }).kind === 'node-x25519';
}

/**
 * Imports 32 raw private bytes. Through JWK, not PKCS#8 DER: on Node 20's OpenSSL 3 the DER
 * decoder costs about 700 µs a key, the JWK path about as much as generating one (85 µs).
 */
export function importPrivateKey(raw32: Uint8Array): KeyObject {
  if (raw32.length !== DHLEN) throw new RangeError('an X25519 private key is 32 bytes');
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: base64urlEncode(raw32), x: PLACEHOLDER_X }, format: 'jwk' });
}

/**
 * Imports a raw public key. Through JWK, not SPKI DER: on Node 20's OpenSSL 3 the DER
 * decoder costs about 80 µs a key and the JWK path about 13 µs, and a handshake imports two.
 */
export function importPublicKey(raw32: Uint8Array): KeyObject {
  if (raw32.length !== DHLEN) throw new RangeError('an X25519 public key is 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: base64urlEncode(raw32) }, format: 'jwk' });
}

/** Raw key bytes from the KeyObject (a JWK export: about 1 µs, where DER takes 40 to 75 µs). */
function keyPairFromKeyObject(privateKey: KeyObject): KeyPair {
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.d !== 'string') throw new Error('X25519 JWK export without x or d');
  const handle: NodeKeyHandle = { kind: 'node-x25519', privateKey };
  return { publicKey: base64urlDecode(jwk.x), privateKey: base64urlDecode(jwk.d), handle };
}

/**
 * A fresh X25519 key pair (the server's long-lived identity, or an ephemeral): 32 random bytes,
 * imported. Not `generateKeyPairSync`: on Node 20 exporting a key it made can deadlock the
 * process (docs/security.md, "Key generation on Node 20"): the export holds the key's mutex
 * while it allocates, the allocation can run the garbage collector, and collecting the
 * finished generation job locks the same mutex. Any 32 bytes are an X25519 private key.
 */
export function generateStaticKeyPair(): KeyPair {
  const raw = randomBytes(DHLEN);
  try {
    return staticKeyPairFromPrivate(raw);
  } finally {
    raw.fill(0); // the pair holds its own copy
  }
}

/** The key pair for 32 raw private bytes, e.g. as unwrapped from the KMS. */
export function staticKeyPairFromPrivate(raw32: Uint8Array): KeyPair {
  return keyPairFromKeyObject(importPrivateKey(raw32));
}

/**
 * Short, printable identity of a server public key, pinned by operators next to the key:
 * the first 16 characters of base64url(SHA-256("sealpush-server-key-v1" || publicKey)).
 * Same string as the browser-safe `fingerprint` in ../fingerprint.ts.
 */
export function fingerprint(publicKey: Uint8Array): string {
  const digest = createHash('sha256').update(concatBytes(utf8Encode(FINGERPRINT_CONTEXT), publicKey)).digest();
  return base64urlEncode(digest).slice(0, FINGERPRINT_LENGTH);
}
