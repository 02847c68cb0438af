/**
 * sealpush/client in Node (the package's `node` export condition): the same API and protocol
 * as index.ts, with node:crypto instead of WebCrypto for the handshake and sodium-native
 * (libsodium) instead of @noble/ciphers for the frames. A Node process holding thousands of
 * clients then spends about a microsecond per frame; a browser bundle never loads this file.
 */
import { nodeNoiseCrypto } from '../crypto/node/noise-crypto.js';
import { FrameOpener, FrameSealer } from '../crypto/node/frame-cipher.js';
import { nodeAckKeyCrypto } from '../crypto/node/ack-key.js';
import { verifyEd25519 } from '../crypto/node/ed25519.js';
import type { SealPushClient } from './client.js';
import { connectWith, type ConnectOptions } from './connect.js';
import type { ClientCrypto } from './platform.js';

export { SealPushError } from '../domain/errors.js';
export { SealPushConnectionError } from './connection-error.js';
export type { ErrorCode } from '../domain/errors.js';
export type { SealPushClient, Message, ClientEvents } from './client.js';
export type { SavedSession } from './session.js';
export type { ReconnectOptions } from './backoff.js';
export type { WakeSignals, WakeTarget } from './wake.js';
/** The 16-character fingerprint of a server key (as `sealpush keys show` prints it): `serverKeyFingerprint(c.serverKey)`. */
export { serverKeyFingerprint } from './fingerprint.js';
export type { ConnectOptions } from './connect.js';

const nodeClientCrypto: ClientCrypto = {
  noise: nodeNoiseCrypto,
  sealer: (key) => new FrameSealer(key),
  opener: (key) => new FrameOpener(key),
  ack: nodeAckKeyCrypto,
  async publisherVerifier(publicKey) {
    if (publicKey.length !== 32) throw new RangeError('an Ed25519 public key is 32 bytes');
    return (message, signature) => verifyEd25519(publicKey, message, signature);
  },
};

/** Connects and completes the first secure session; rejects if that first attempt fails. */
export function connect(options: ConnectOptions): Promise<SealPushClient> {
  return connectWith(nodeClientCrypto, options);
}
