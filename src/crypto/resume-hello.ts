/**
 * The resumption handshake (docs/protocol.md section 2.6): a returning client presents the
 * ticket its last session gave it (a TICKET frame) and runs Noise_NNpsk0_25519_ChaChaPoly_SHA256
 * with the psk both sides derived from that session. Forward secrecy comes from `ee`; the
 * server does two X25519 operations (its ephemeral key pair and `ee`) instead of IK's four and
 * a key pair. The ticket is opaque here: the server opens it (crypto/node/ticket.ts) between
 * `readResumeHello` and `acceptResumeHello`. Browser-safe.
 *
 * Wire: `[u8 version = 3][u8 RESUME_MARKER = 0][u8 appIdLen][appId][u16 ticketLen][ticket]`
 * then NNpsk0 message 1 (`e`, the encrypted client payload). The whole header is the prologue's
 * tail, so altering the app id or the ticket fails the handshake. An IK hello has its appIdLen
 * (1..64) where a resume hello has 0.
 */

import { SealPushError } from '../domain/errors.js';
import { concatBytes, utf8Encode } from './encoding.js';
import { HandshakeState } from './noise/handshake-state.js';
import { PATTERNS } from './noise/patterns.js';
import { DHLEN, PSKLEN, TAGLEN, type KeyPair, type NoiseCrypto } from './noise/primitives.js';
import { type ClientHelloPayload, MAX_HANDSHAKE_PAYLOAD_BYTES, decodeClientHelloPayload, encodeClientHelloPayload } from './hello-payloads.js';
import { APP_ID, MAX_APP_ID_LENGTH, NOISE_SUITE, type HelloAnswer, type StartedHello, answerWith, checkSuite, finishWith, handshakeError, noiseStep, prologueFor } from './hello-noise.js';
import { MAX_REPLY_BYTES, MIN_NOISE_MESSAGE_2, PROTOCOL_VERSION, checkVersion } from './hello.js';

export const RESUME_PROTOCOL_NAME = `Noise_NNpsk0_${NOISE_SUITE}`;
/** The second byte of a resume hello, where an IK hello has its appIdLen (never 0). */
export const RESUME_MARKER = 0x00;
/** Bound on a ticket's bytes (one is about 120 bytes plus the app and client ids). */
export const MAX_TICKET_BYTES = 512;
/** NNpsk0 message 1 without payload: e; plus the payload's tag. */
const MIN_RESUME_MESSAGE_1 = DHLEN + TAGLEN;
/** Largest resume hello a server reads. */
export const MAX_RESUME_HELLO_BYTES = 3 + MAX_APP_ID_LENGTH + 2 + MAX_TICKET_BYTES + MIN_RESUME_MESSAGE_1 + MAX_HANDSHAKE_PAYLOAD_BYTES;
/** The label of the resumption psk's derivation from a session's secret. */
export const RESUME_PSK_LABEL = 'sealpush resume psk v1';

/** True when a hello (whose version byte is checked separately) asks to resume. */
export function isResumeHello(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[1] === RESUME_MARKER;
}

/**
 * The psk a ticket carries and the client keeps: HMAC-SHA-256(sessionSecret, label), computed on
 * both sides at the end of the session that issued the ticket. It never travels.
 */
export function resumePsk(crypto: Pick<NoiseCrypto, 'hmac'>, sessionSecret: Uint8Array): Promise<Uint8Array> {
  return crypto.hmac(sessionSecret, utf8Encode(RESUME_PSK_LABEL));
}

/** A resume hello's header read, nothing opened: the server opens `ticket` before `acceptResumeHello`. */
export interface ResumeHello {
  readonly appId: string;
  readonly ticket: Uint8Array;
  /** `[version][marker][appIdLen][appId][u16 ticketLen][ticket]`, as sent: the prologue's tail. */
  readonly header: Uint8Array;
  readonly message: Uint8Array;
}

export interface AcceptedResume extends HelloAnswer {
  readonly payload: ClientHelloPayload;
}

export interface StartResumeOptions {
  readonly appId: string;
  readonly ticket: Uint8Array;
  readonly psk: Uint8Array;
  readonly payload: ClientHelloPayload;
  readonly crypto: NoiseCrypto;
  /** Tests and vectors only: a fixed client ephemeral key. */
  readonly ephemeral?: KeyPair;
}

function encodeResumeHeader(appId: string, ticket: Uint8Array): Uint8Array {
  if (!APP_ID.test(appId)) throw handshakeError('appId must be 1..64 of A-Z a-z 0-9 _ -');
  if (ticket.length < 1 || ticket.length > MAX_TICKET_BYTES) throw handshakeError(`a ticket is 1..${MAX_TICKET_BYTES} bytes`);
  return concatBytes(Uint8Array.of(PROTOCOL_VERSION, RESUME_MARKER, appId.length), utf8Encode(appId), Uint8Array.of(ticket.length >>> 8, ticket.length & 0xff), ticket);
}

/** Server side, first step: every check of the header, before any cryptography. Throws ERR_VERSION or ERR_HANDSHAKE. */
export function readResumeHello(bytes: Uint8Array): ResumeHello {
  checkVersion(bytes);
  if (!isResumeHello(bytes)) throw handshakeError('not a resume hello');
  if (bytes.length > MAX_RESUME_HELLO_BYTES) throw handshakeError('hello too large');
  const appIdLength = bytes[2] ?? 0;
  if (appIdLength < 1 || appIdLength > MAX_APP_ID_LENGTH) throw handshakeError('appId length out of range');
  const ticketAt = 3 + appIdLength + 2;
  if (bytes.length < ticketAt) throw handshakeError('hello too short');
  const appId = String.fromCharCode(...bytes.subarray(3, 3 + appIdLength));
  if (!APP_ID.test(appId)) throw handshakeError('appId must be 1..64 of A-Z a-z 0-9 _ -');
  const ticketLength = (bytes[ticketAt - 2]! << 8) | bytes[ticketAt - 1]!;
  if (ticketLength < 1 || ticketLength > MAX_TICKET_BYTES) throw handshakeError('ticket length out of range');
  const headerLength = ticketAt + ticketLength;
  if (bytes.length < headerLength + MIN_RESUME_MESSAGE_1) throw handshakeError('hello too short');
  return {
    appId,
    ticket: bytes.slice(ticketAt, headerLength),
    header: bytes.slice(0, headerLength),
    message: bytes.subarray(headerLength),
  };
}

/** Server side, second step: runs NNpsk0 message 1 with the psk the opened ticket holds. */
export async function acceptResumeHello(hello: ResumeHello, options: { readonly psk: Uint8Array; readonly crypto: NoiseCrypto; readonly ephemeral?: KeyPair }): Promise<AcceptedResume> {
  checkSuite(options.crypto);
  if (options.psk.length !== PSKLEN) throw new SealPushError('ERR_INTERNAL', 'a resumption psk is 32 bytes');
  const state = await noiseStep(() =>
    HandshakeState.initialize({ crypto: options.crypto, pattern: PATTERNS.NNpsk0, initiator: false, prologue: prologueFor(hello.header), psks: [options.psk], e: options.ephemeral }),
  );
  const payload = decodeClientHelloPayload(await noiseStep(() => state.readMessage(hello.message)));
  return { payload, ...answerWith(state) };
}

/** Client side: the resume hello; `finish` reads the reply (a session, or an authenticated refusal). */
export async function startResumeHello(options: StartResumeOptions): Promise<StartedHello> {
  checkSuite(options.crypto);
  if (options.psk.length !== PSKLEN) throw handshakeError('a resumption psk is 32 bytes');
  const header = encodeResumeHeader(options.appId, options.ticket);
  const payload = encodeClientHelloPayload(options.payload);
  const state = await noiseStep(() =>
    HandshakeState.initialize({ crypto: options.crypto, pattern: PATTERNS.NNpsk0, initiator: true, prologue: prologueFor(header), psks: [options.psk], e: options.ephemeral }),
  );
  const message = await noiseStep(() => state.writeMessage(payload));
  return { hello: concatBytes(header, message), finish: finishWith(state, MIN_NOISE_MESSAGE_2, MAX_REPLY_BYTES) };
}
