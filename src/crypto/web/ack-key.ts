/**
 * Ed25519 ack keys on WebCrypto (browsers, and any runtime with it): the SDK signs its ACKs
 * with one (docs/receipts.md), and `sealpush/app`'s verifyReceipt checks them.
 */

import { base64urlDecode, concatBytes } from '../encoding.js';
import { ACK_KEY_BYTES, ACK_SIGNATURE_BYTES, type AckKeyCrypto, type AckKeyPair } from '../ack-receipt.js';
import { ownBytes } from './noise-crypto.js';

/** PKCS#8 DER of an Ed25519 private key is this prefix followed by the 32-byte seed. */
const PKCS8_PREFIX = Uint8Array.of(
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
);
const ED25519 = { name: 'Ed25519' } as const;

function subtle(): SubtleCrypto {
  return globalThis.crypto.subtle;
}

async function pairFromSeed(seed: Uint8Array): Promise<AckKeyPair> {
  if (seed.length !== ACK_KEY_BYTES) throw new RangeError('an Ed25519 private key is 32 bytes');
  // Extractable so that the public key can be read back as JWK `x`; it never leaves this module.
  const privateKey = await subtle().importKey('pkcs8', concatBytes(PKCS8_PREFIX, seed), ED25519, true, ['sign']);
  const jwk = await subtle().exportKey('jwk', privateKey);
  const publicKey = base64urlDecode(jwk.x ?? '');
  const ownSeed = new Uint8Array(seed);
  return {
    publicKey,
    seed: ownSeed,
    sign: async (message) => new Uint8Array(await subtle().sign(ED25519, privateKey, ownBytes(message))),
  };
}

export const webAckKeyCrypto: AckKeyCrypto = {
  generate: async () => {
    const pair = (await subtle().generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
    return pairFromSeed(pkcs8.subarray(pkcs8.length - ACK_KEY_BYTES));
  },
  fromSeed: pairFromSeed,
  sha256: async (data) => new Uint8Array(await subtle().digest('SHA-256', ownBytes(data))),
};

/** True when `signature` is `publicKey`'s Ed25519 signature of `message`; false on any malformed input. */
export async function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (publicKey.length !== ACK_KEY_BYTES || signature.length !== ACK_SIGNATURE_BYTES) return false;
  try {
    const key = await subtle().importKey('raw', ownBytes(publicKey), ED25519, false, ['verify']);
    return await subtle().verify(ED25519, key, ownBytes(signature), ownBytes(message));
  } catch {
    return false;
  }
}
