/**
 * The server's answer to a hello (docs/protocol.md sections 2 and 2.5): it reads the hello,
 * looks things up (the app, its settings, the client for this static key, the registered ack
 * key) and writes message 2, changing nothing. A hello can be a replay, so every state change
 * waits for the client's CONFIRM (connection.ts calls `Sessions.confirm` then).
 */

import { isSealPushError, SealPushError, type ErrorCode } from '../../domain/errors.js';
import type { DeliverySettings } from '../../domain/types.js';
import type { PreparedSession, Sessions } from '../../domain/usecases/sessions.js';
import type { SessionFacts } from '../../domain/usecases/live-clients.js';
import type { IdentityRing } from '../../domain/usecases/server-identity.js';
import { base64urlEncode } from '../../crypto/encoding.js';
import { acceptHello, type SessionKeys } from '../../crypto/hello.js';
import type { KeyPair, NoiseCrypto } from '../../crypto/noise/primitives.js';
import type { WsLimits } from './limits.js';

/** What answering a hello reads (a part of the connection's dependencies, connection.ts). */
export interface OpeningDeps {
  readonly sessions: Pick<Sessions, 'prepare'>;
  readonly appExists: (appId: string) => Promise<boolean>;
  readonly deliveryOf: (appId: string) => Promise<DeliverySettings>;
  readonly receiptsOf: (appId: string) => Promise<boolean>;
  readonly noise: NoiseCrypto;
  readonly identities: { ring(): Promise<IdentityRing<KeyPair>> };
  readonly limits: Pick<WsLimits, 'heartbeatMs' | 'maxFrameBytes'>;
}

/** A channel whose reply went out and whose client has yet to confirm its keys. */
export interface PendingChannel {
  readonly prepared: PreparedSession;
  /** The hello's lastSeq: acked at confirm, not before. */
  readonly lastSeq: number;
  readonly delivery: DeliverySettings;
  readonly receipts: boolean;
  readonly keys: SessionKeys;
  /** Set when the hello used a key a rotation replaced: when that key stops being accepted. */
  readonly identityNotAfter: number | null;
  /** The identity version the hello used. */
  readonly identityVersion: number;
}

/**
 * Message 2: a session (`channel` set), or a refusal the client can trust (`refused`: an
 * unknown app, another ack key than the registered one), both under the Noise handshake.
 * Throws for a hello that cannot be answered at all (ERR_VERSION, ERR_HANDSHAKE) and for
 * failures of our own (a store outage).
 */
export async function answerHello(
  hello: Uint8Array,
  deps: OpeningDeps,
): Promise<{ readonly reply: Uint8Array; readonly refused: ErrorCode } | { readonly reply: Uint8Array; readonly channel: PendingChannel }> {
  const { sessions, appExists, deliveryOf, receiptsOf, noise, identities, limits } = deps;
  const ring = await identities.ring();
  const pending = await acceptHello(hello, { staticKey: ring.current.key, previousKeys: ring.previous.map((v) => v.key), crypto: noise });
  const oldKey = pending.keyIndex === 0 ? undefined : ring.previous[pending.keyIndex - 1];
  let prepared: PreparedSession;
  let delivery: DeliverySettings;
  let receipts: boolean;
  try {
    if (!(await appExists(pending.appId))) throw new SealPushError('ERR_NOT_FOUND', 'No such app');
    [delivery, receipts] = await Promise.all([deliveryOf(pending.appId), receiptsOf(pending.appId)]);
    const keys = { ackKey: pending.payload.ackKey, hpkeKey: pending.payload.hpkeKey ?? null };
    prepared = await sessions.prepare(pending.appId, pending.clientStaticKey, keys, receipts);
  } catch (err) {
    if (!isSealPushError(err) || (err.code !== 'ERR_NOT_FOUND' && err.code !== 'ERR_ACK_KEY_MISMATCH')) throw err;
    return { reply: await pending.refuse(err.code), refused: err.code };
  }
  const keys = await pending.accept({
    clientId: prepared.clientId,
    resumed: prepared.known !== null,
    // A cohort client hears from the server once per tick: its watchdog must allow that.
    heartbeatMs: delivery.mode === 'cohort' ? Math.max(limits.heartbeatMs, delivery.tickMs) : limits.heartbeatMs,
    maxFrameBytes: limits.maxFrameBytes,
    ...(delivery.mode === 'cohort' ? { cohortTickMs: delivery.tickMs } : {}),
    ...(prepared.signedAcks ? { signedAcks: true } : {}),
    ...(oldKey ? { nextServerKey: base64urlEncode(ring.current.publicKey), nextServerKeyUntil: oldKey.notAfter! } : {}),
  });
  return {
    reply: keys.reply,
    channel: {
      prepared,
      lastSeq: pending.payload.lastSeq,
      delivery,
      receipts,
      keys,
      identityNotAfter: oldKey?.notAfter ?? null,
      identityVersion: (oldKey ?? ring.current).version,
    },
  };
}

/** What a confirmed channel settled, fixed for the life of its connection. */
export function sessionFactsOf(channel: PendingChannel, clientId: string): SessionFacts {
  return {
    clientId,
    appId: channel.prepared.appId,
    delivery: channel.delivery,
    deliveryKey: JSON.stringify(channel.delivery),
    receipts: channel.receipts,
    identityVersion: channel.identityVersion,
    identityNotAfter: channel.identityNotAfter,
    sessionSecret: channel.keys.sessionSecret,
  };
}
