/**
 * sealpush/client: connect to a sealpush server, receive sealed messages. This entry uses
 * WebCrypto and @noble/ciphers (pure JS: the channel's ChaCha20-Poly1305, which WebCrypto
 * lacks) and runs unchanged in browsers and Node; Node resolves the package's `node` export
 * condition to node.ts, the same API on node:crypto and sodium-native.
 *
 *   const c = await connect({ url, appId, serverKey, session });
 *   c.on('message', (m) => console.log(m.data));
 *   save(c.session());          // the session is up when connect() resolves: save it now
 *   c.on('session', save);      // and on every change (where to keep it: docs/sdk.md)
 *
 * Options, events, errors and where to keep the session: docs/sdk.md.
 */
import type { SealPushClient } from './client.js';
import { connectWith, type ConnectOptions } from './connect.js';
import { webClientCrypto } from './platform.js';

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

/** Connects and completes the first secure session; rejects if that first attempt fails. */
export function connect(options: ConnectOptions): Promise<SealPushClient> {
  return connectWith(webClientCrypto, options);
}
