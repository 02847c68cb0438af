/**
 * Ed25519 ack keys on node:crypto: the Node entry of the SDK signs with them, and the server
 * verifies every signed ACK on arrival (docs/receipts.md). A client's public key is imported
 * once per connection, not per ACK.
 */

import { type KeyObject, createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { base64urlDecode, base64urlEncode } from '../encoding.js';
import { sha256 } from './sha256.js';
import { ACK_KEY_BYTES, ACK_SIGNATURE_BYTES, type AckKeyCrypto, type AckKeyPair } from '../ack-receipt.js';

/** PKCS#8 DER of an Ed25519 private key is this prefix followed by the 32-byte seed. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function pairFromSeed(seed: Uint8Array): AckKeyPair {
  if (seed.length !== ACK_KEY_BYTES) throw new RangeError('an Ed25519 private key is 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return {
    publicKey: base64urlDecode(jwk.x ?? ''),
    seed: new Uint8Array(seed),
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

export const nodeAckKeyCrypto: AckKeyCrypto = {
  // A random seed, not generateKeyPairSync: exporting a key it made can deadlock Node 20 (keys.ts).
  generate: async () => {
    const seed = randomBytes(ACK_KEY_BYTES);
    try {
      return pairFromSeed(seed);
    } finally {
      seed.fill(0); // the pair holds its own copy
    }
  },
  fromSeed: async (seed) => pairFromSeed(seed),
  sha256: async (data) => sha256(data),
};

/** Checks one client's signed ACKs; throws RangeError on a key that is not 32 bytes. */
export class AckVerifier {
  readonly #key: KeyObject;

  constructor(publicKey: Uint8Array) {
    if (publicKey.length !== ACK_KEY_BYTES) throw new RangeError('an Ed25519 public key is 32 bytes');
    this.#key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(publicKey) }, format: 'jwk' });
  }

  verify(message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== ACK_SIGNATURE_BYTES) return false;
    try {
      return verify(null, message, this.#key, signature);
    } catch {
      return false;
    }
  }
}
