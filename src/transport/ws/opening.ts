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
import type { HelloAnswer } from '../../crypto/hello-noise.js';
import type { ClientHelloPayload, ServerHelloPayload } from '../../crypto/hello-payloads.js';
import { acceptResumeHello, isResumeHello, readResumeHello } from '../../crypto/resume-hello.js';
import { hexEncode } from '../../crypto/encoding.js';
import type { TicketSealer } from '../../crypto/node/ticket.js';
import type { KeyPair, NoiseCrypto } from '../../crypto/noise/primitives.js';
import type { WsLimits } from './limits.js';

/** What answering a hello reads (a part of the connection's dependencies, connection.ts). */
export interface OpeningDeps {
  readonly sessions: Pick<Sessions, 'prepare' | 'prepareResumed'>;
  readonly appExists: (appId: string) => Promise<boolean>;
  readonly deliveryOf: (appId: string) => Promise<DeliverySettings>;
  readonly receiptsOf: (appId: string) => Promise<boolean>;
  readonly noise: NoiseCrypto;
  readonly identities: { ring(): Promise<IdentityRing<KeyPair>> };
  readonly limits: Pick<WsLimits, 'heartbeatMs' | 'maxFrameBytes'>;
  /** Resumption tickets (docs/protocol.md section 2.6); absent: tickets off, a resume hello gets ERR_TICKET. */
  readonly tickets?: TicketSealer;
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

type Answer = { readonly reply: Uint8Array; readonly refused: ErrorCode } | { readonly reply: Uint8Array; readonly channel: PendingChannel };

/** A refusal the client can trust: message 2 under the handshake says why. */
const REFUSED_IN_MESSAGE_2: readonly ErrorCode[] = ['ERR_NOT_FOUND', 'ERR_ACK_KEY_MISMATCH', 'ERR_TICKET'];

/**
 * Message 2: a session (`channel` set), or a refusal the client can trust (`refused`: an
 * unknown app, another ack key than the registered one, a ticket that opened but is refused),
 * both under the Noise handshake. A resume hello (second byte 0) runs NNpsk0 with its ticket's
 * psk; any other, IK. Throws for a hello that cannot be answered at all (ERR_VERSION,
 * ERR_HANDSHAKE, a ticket that does not open: ERR_TICKET) and for failures of our own (a store
 * outage).
 */
export async function answerHello(hello: Uint8Array, deps: OpeningDeps): Promise<Answer> {
  if (isResumeHello(hello)) return answerResumeHello(hello, deps);
  const { sessions, noise, identities } = deps;
  const ring = await identities.ring();
  const pending = await acceptHello(hello, { staticKey: ring.current.key, previousKeys: ring.previous.map((v) => v.key), crypto: noise });
  const oldKey = pending.keyIndex === 0 ? undefined : ring.previous[pending.keyIndex - 1];
  const nextKey = oldKey ? { nextServerKey: base64urlEncode(ring.current.publicKey), nextServerKeyUntil: oldKey.notAfter! } : {};
  const identity = { identityNotAfter: oldKey?.notAfter ?? null, identityVersion: (oldKey ?? ring.current).version };
  return answer(pending.appId, pending.payload, pending, deps, identity, nextKey, (receipts) =>
    sessions.prepare(pending.appId, pending.clientStaticKey, helloKeys(pending.payload), receipts),
  );
}

/** NNpsk0 with the ticket's psk: two X25519 operations where IK takes four and a key pair. */
async function answerResumeHello(bytes: Uint8Array, deps: OpeningDeps): Promise<Answer> {
  const hello = readResumeHello(bytes);
  if (!deps.tickets) throw new SealPushError('ERR_TICKET', 'Resumption tickets are off on this server');
  const ticket = await deps.tickets.open(hello.ticket);
  const pending = await acceptResumeHello(hello, { psk: ticket.psk, crypto: deps.noise });
  ticket.psk.fill(0);
  const ring = await deps.identities.ring();
  return answer(hello.appId, pending.payload, pending, deps, { identityNotAfter: null, identityVersion: ring.current.version }, {}, (receipts) => {
    // A ticket from a session made with a replaced identity key: IK tells the client the new key.
    if (ticket.identityVersion !== ring.current.version) throw new SealPushError('ERR_TICKET', 'The ticket predates an identity rotation');
    const resumption = { id: hexEncode(ticket.id), appId: ticket.appId, clientId: ticket.clientId, expiresAt: ticket.expiresAt };
    return deps.sessions.prepareResumed(hello.appId, resumption, helloKeys(pending.payload), receipts);
  });
}

function helloKeys(payload: ClientHelloPayload): { ackKey: Uint8Array | undefined; hpkeKey: Uint8Array | null } {
  return { ackKey: payload.ackKey, hpkeKey: payload.hpkeKey ?? null };
}

/** The lookups both handshakes make (read-only), then message 2. */
async function answer(
  appId: string,
  payload: ClientHelloPayload,
  pending: HelloAnswer,
  deps: OpeningDeps,
  identity: Pick<PendingChannel, 'identityNotAfter' | 'identityVersion'>,
  nextKey: Pick<ServerHelloPayload, 'nextServerKey' | 'nextServerKeyUntil'>,
  prepare: (receipts: boolean) => Promise<PreparedSession>,
): Promise<Answer> {
  const { appExists, deliveryOf, receiptsOf, limits } = deps;
  let prepared: PreparedSession;
  let delivery: DeliverySettings;
  let receipts: boolean;
  try {
    if (!(await appExists(appId))) throw new SealPushError('ERR_NOT_FOUND', 'No such app');
    [delivery, receipts] = await Promise.all([deliveryOf(appId), receiptsOf(appId)]);
    prepared = await prepare(receipts);
  } catch (err) {
    if (!isSealPushError(err) || !REFUSED_IN_MESSAGE_2.includes(err.code)) throw err;
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
    ...nextKey,
  });
  return { reply: keys.reply, channel: { prepared, lastSeq: payload.lastSeq, delivery, receipts, keys, ...identity } };
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
