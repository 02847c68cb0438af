/**
 * What the client SDK needs from a platform's cryptography: the Noise primitives for the
 * handshake and one cipher state per frame direction. Both entries of sealpush/client speak
 * the same protocol and pass the same vectors; they differ only here:
 * - index.ts (browsers, and any runtime with WebCrypto): asynchronous WebCrypto;
 * - node.ts (the `node` export condition): synchronous node:crypto, which opens a frame in a
 *   few µs where WebCrypto's promise round trip costs several times that.
 */
import type { NoiseCrypto } from '../crypto/noise/primitives.js';
import { WebFrameOpener, WebFrameSealer } from '../crypto/web/frame-cipher.js';
import { webNoiseCrypto } from '../crypto/web/noise-crypto.js';
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

export interface ClientCrypto {
  readonly noise: NoiseCrypto;
  sealer(sendKey: Uint8Array): FrameSealerLike;
  opener(receiveKey: Uint8Array): FrameOpenerLike;
  /** Ed25519 and SHA-256 for signed ACKs (docs/receipts.md). */
  readonly ack: AckKeyCrypto;
}

export const webClientCrypto: ClientCrypto = {
  noise: webNoiseCrypto,
  sealer: (key) => new WebFrameSealer(key),
  opener: (key) => new WebFrameOpener(key),
  ack: webAckKeyCrypto,
};
