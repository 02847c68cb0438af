/**
 * What the client SDK needs from a platform's cryptography: the Noise primitives for the
 * handshake and one cipher state per frame direction. Both entries of sealpush/client speak
 * the same protocol and pass the same vectors; they differ only here:
 * - index.ts (browsers, and any runtime with WebCrypto): asynchronous WebCrypto for the
 *   handshake, @noble/ciphers (pure JS) for the frames;
 * - node.ts (the `node` export condition): synchronous node:crypto for the handshake and
 *   sodium-native (libsodium) for the frames, about a microsecond per frame.
 */
import type { NoiseCrypto } from '../crypto/noise/primitives.js';
import { WebFrameOpener, WebFrameSealer } from '../crypto/web/frame-cipher.js';
import { ownBytes, webNoiseCrypto } from '../crypto/web/noise-crypto.js';
import type { AckKeyCrypto } from '../crypto/ack-receipt.js';
import { webAckKeyCrypto } from '../crypto/web/ack-key.js';

/** Seals the frames the client sends (docs/protocol.md, "Frames"). */
export interface FrameSealerLike {
  seal(plaintext: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Opens the frames the client receives; throws (or rejects) ERR_FRAME on any bad frame. */
export interface FrameOpenerLike {
  open(sealed: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Checks one Ed25519 signature of the pinned publisher key: true only when it verifies. */
export type PublisherVerify = (message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;

export interface ClientCrypto {
  readonly noise: NoiseCrypto;
  sealer(sendKey: Uint8Array): FrameSealerLike;
  opener(receiveKey: Uint8Array): FrameOpenerLike;
  /** Ed25519 and SHA-256 for signed ACKs (docs/receipts.md). */
  readonly ack: AckKeyCrypto;
  /** Imports the publisher's Ed25519 public key (32 raw bytes) once; rejects a key that is not one. */
  publisherVerifier(publicKey: Uint8Array): Promise<PublisherVerify>;
}

const ED25519 = { name: 'Ed25519' } as const;

export const webClientCrypto: ClientCrypto = {
  noise: webNoiseCrypto,
  sealer: (key) => new WebFrameSealer(key),
  opener: (key) => new WebFrameOpener(key),
  ack: webAckKeyCrypto,
  async publisherVerifier(publicKey) {
    const key = await globalThis.crypto.subtle.importKey('raw', ownBytes(publicKey), ED25519, false, ['verify']);
    return async (message, signature) => {
      try {
        return await globalThis.crypto.subtle.verify(ED25519, key, ownBytes(signature), ownBytes(message));
      } catch {
        return false;
      }
    };
  },
};
