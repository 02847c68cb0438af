/**
 * The client's side of the handshake (docs/protocol.md section 2): the hello, then the
 * server's reply, then the key confirmation. CONFIRM is the client's first frame, sealed at
 * counter 0 right after message 2: until the server opens it, it changes nothing for this
 * client, so a replayed hello cannot replace the session or mark anything delivered.
 */
import { SealPushError } from '../domain/errors.js';
import { encodeConfirm } from '../crypto/frames.js';
import { startHello, type StartedHello } from '../crypto/hello.js';
import { startResumeHello } from '../crypto/resume-hello.js';
import type { HeldTicket } from './resume-ticket.js';
import type { ServerHelloPayload } from '../crypto/hello-payloads.js';
import type { KeyPair } from '../crypto/noise/primitives.js';
import type { AckKeyPair } from '../crypto/ack-receipt.js';
import type { ClientCrypto, FrameOpenerLike, FrameSealerLike } from './platform.js';
import type { InboundKeys } from './inbound.js';

export interface HelloKeys {
  readonly appId: string;
  readonly staticKey: KeyPair;
  readonly ackKey: AckKeyPair;
  readonly inbound: InboundKeys;
  readonly crypto: ClientCrypto;
}

/** A confirmed channel: the server's payload and this side's cipher states (CONFIRM already sealed). */
export interface ClientChannel {
  readonly payload: ServerHelloPayload;
  readonly sealer: FrameSealerLike;
  readonly opener: FrameOpenerLike;
  /** The session's third Split output: cohort slots and the close reason's token. */
  readonly sessionSecret: Uint8Array;
}

/**
 * The hello, carrying what the client holds (`lastSeq`) and its public keys: a resume hello
 * (NNpsk0, section 2.6) when a ticket is given, else the full IK hello for `serverKey`.
 */
export function startClientHello(keys: HelloKeys, serverKey: Uint8Array, lastSeq: number, ticket: HeldTicket | null = null): Promise<StartedHello> {
  const payload = { lastSeq, ackKey: keys.ackKey.publicKey, hpkeKey: keys.inbound.hpke.publicKey };
  if (ticket) return startResumeHello({ appId: keys.appId, ticket: ticket.ticket, psk: ticket.psk, payload, crypto: keys.crypto.noise });
  return startHello({ appId: keys.appId, serverKey, staticKey: keys.staticKey, payload, crypto: keys.crypto.noise });
}

/**
 * Reads the server's reply and sends CONFIRM with `send`. Throws ERR_HANDSHAKE when the reply
 * does not open, and a HandshakeRefusal (authenticated) when the server refused the hello.
 */
export async function confirmChannel(crypto: ClientCrypto, started: Promise<StartedHello> | null, reply: Uint8Array, send: (frame: Uint8Array) => void): Promise<ClientChannel> {
  if (!started) throw new SealPushError('ERR_HANDSHAKE', 'Server spoke before the hello');
  const done = await (await started).finish(reply);
  const sealer = crypto.sealer(done.sendKey);
  send(await sealer.seal(encodeConfirm()));
  return { payload: done.payload, sealer, opener: crypto.opener(done.receiveKey), sessionSecret: done.sessionSecret };
}
