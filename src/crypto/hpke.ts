/**
 * Relay-blind sealing (docs/relay-blind.md): HPKE, RFC 9180, base mode, suite
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM, from @hpke/core and
 * @hpke/dhkem-x25519 (not hand-rolled). Browser-safe: WebCrypto and pure JS only; the app SDK
 * seals with it, both client SDK entries open with it.
 *
 * info = sealInfo(app id, client id, message id) (domain/message-wrappers.ts), aad = empty:
 * the key schedule itself is bound to the message, so a ciphertext moved to another client
 * (another key) or presented as another message (another info) fails to open.
 */
import { Aes128Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { SealPushError } from '../domain/errors.js';
import { HPKE_KEY_BYTES, sealInfo, type MessageBinding, type SealedWrapper } from '../domain/message-wrappers.js';
import { base64urlDecode, base64urlEncode, utf8Decode, utf8Encode } from './encoding.js';

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });

/** The raw 32-byte halves of an HPKE key pair (the private half is the X25519 scalar). */
export interface HpkeKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

/** A fresh key pair, for HPKE only: never the Noise static key (no key serves two protocols). */
export async function generateHpkeKeyPair(): Promise<HpkeKeyPair> {
  const pair = await suite.kem.generateKeyPair();
  return {
    publicKey: new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey)),
    privateKey: new Uint8Array(await suite.kem.serializePrivateKey(pair.privateKey)),
  };
}

/** Seals the JSON text of `data` to `recipientKey` (32 raw bytes), bound to one message. */
export async function sealToClient(recipientKey: Uint8Array, binding: MessageBinding, jsonText: string): Promise<SealedWrapper> {
  if (recipientKey.length !== HPKE_KEY_BYTES) throw new SealPushError('ERR_SEALED_MESSAGE', 'An HPKE public key is 32 bytes');
  let recipientPublicKey: CryptoKey;
  try {
    recipientPublicKey = await suite.kem.deserializePublicKey(recipientKey);
  } catch {
    throw new SealPushError('ERR_SEALED_MESSAGE', 'The client HPKE key is not a valid X25519 public key');
  }
  const { enc, ct } = await suite.seal({ recipientPublicKey, info: sealInfo(binding) }, utf8Encode(jsonText));
  return { enc: base64urlEncode(new Uint8Array(enc)), ct: base64urlEncode(new Uint8Array(ct)) };
}

/**
 * Opens a sealed wrapper with the client's key pair, for this exact message; returns the
 * data's JSON text. Throws ERR_SEALED_MESSAGE for anything that does not open: another
 * recipient, another app, client or message id, an altered enc or ct.
 */
export async function openSealed(keyPair: HpkeKeyPair, binding: MessageBinding, wrapper: SealedWrapper): Promise<string> {
  try {
    const recipientKey = {
      privateKey: await suite.kem.deserializePrivateKey(keyPair.privateKey),
      publicKey: await suite.kem.deserializePublicKey(keyPair.publicKey),
    };
    const opened = await suite.open(
      { recipientKey, enc: base64urlDecode(wrapper.enc), info: sealInfo(binding) },
      base64urlDecode(wrapper.ct),
    );
    return utf8Decode(new Uint8Array(opened));
  } catch {
    throw new SealPushError('ERR_SEALED_MESSAGE', 'A sealed message does not open for this client and message id');
  }
}
