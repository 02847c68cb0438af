/**
 * The sealpush v3 handshake (docs/protocol.md, "Handshake"): Noise_IK_25519_ChaChaPoly_SHA256
 * with a cleartext header bound into the prologue. Browser-safe: the caller passes the
 * NoiseCrypto of the channel's suite (node:crypto and sodium-native on the server and the Node
 * SDK, WebCrypto and @noble/ciphers in the browser SDK).
 *
 * Failures: a first byte other than a known version -> ERR_VERSION; anything else wrong with
 * the hello, the reply or a payload, including every Noise failure -> ERR_HANDSHAKE.
 */

import { SealPushError, type ErrorCode } from '../domain/errors.js';
import { concatBytes, utf8Encode } from './encoding.js';
import { HandshakeState } from './noise/handshake-state.js';
import { PATTERNS } from './noise/patterns.js';
import { DHLEN, TAGLEN, type KeyPair, type NoiseCrypto, type NoiseSuite } from './noise/primitives.js';
import {
  type ClientHelloPayload,
  type ServerHelloPayload,
  MAX_HANDSHAKE_PAYLOAD_BYTES,
  decodeClientHelloPayload,
  decodeServerReply,
  encodeClientHelloPayload,
  encodeServerHelloPayload,
  encodeServerRefusal,
} from './hello-payloads.js';

/**
 * 3 since the channel moved from AES-256-GCM to ChaCha20-Poly1305 (Noise's
 * 25519_ChaChaPoly_SHA256; issue 16: a quarter of the server's AEAD cost per frame), 2 since
 * the client's key confirmation (CONFIRM, docs/protocol.md section 2.5). An older SDK is
 * refused at its first byte with ERR_VERSION instead of failing somewhere in the handshake.
 */
export const PROTOCOL_VERSION = 3;
/** The Noise suite of the channel: the NoiseCrypto every side passes must run this one. */
export const NOISE_SUITE: NoiseSuite = '25519_ChaChaPoly_SHA256';
export const NOISE_PROTOCOL_NAME = `Noise_IK_${NOISE_SUITE}`;
/** ASCII bytes that start every prologue, before the hello header. */
export const PROLOGUE_LABEL = 'sealpush';
export const MAX_APP_ID_LENGTH = 64;
/** IK message 1 without payload: e, encrypted s; plus the payload's tag. */
const MIN_NOISE_MESSAGE_1 = DHLEN + DHLEN + TAGLEN + TAGLEN;
/** IK message 2 without payload: e; plus the payload's tag. */
const MIN_NOISE_MESSAGE_2 = DHLEN + TAGLEN;
/** Largest hello a server reads; anything longer is refused before any cryptography. */
export const MAX_HELLO_BYTES = 2 + MAX_APP_ID_LENGTH + MIN_NOISE_MESSAGE_1 + MAX_HANDSHAKE_PAYLOAD_BYTES;
/** Largest reply a client reads. */
export const MAX_REPLY_BYTES = MIN_NOISE_MESSAGE_2 + MAX_HANDSHAKE_PAYLOAD_BYTES;

const APP_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The transport keys of one side, each for a CipherState starting at counter 0. */
export interface SessionKeys {
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
  /** Noise h after the handshake: identical on both sides, usable as a channel binding. */
  readonly handshakeHash: Uint8Array;
  /**
   * 32 bytes both sides derive at Split (the third output of HKDF(ck, zerolen)) and never
   * send: the key of this session's cohort slots (crypto/cohort.ts).
   */
  readonly sessionSecret: Uint8Array;
}

export interface AcceptedHello {
  readonly version: number;
  readonly appId: string;
  /** The client's identity: its authenticated Noise static public key (32 bytes). */
  readonly clientStaticKey: Uint8Array;
  readonly payload: ClientHelloPayload;
  /** Which server key the client used: 0 for `staticKey`, i for `previousKeys[i - 1]`. */
  readonly keyIndex: number;
  /** Writes the reply (Noise message 2); call at most once (this or `refuse`). */
  accept(serverPayload: ServerHelloPayload): Promise<SessionKeys & { readonly reply: Uint8Array }>;
  /** Writes message 2 carrying a refusal instead of a session; call at most once (this or `accept`). */
  refuse(code: ErrorCode): Promise<Uint8Array>;
}

/**
 * What `finish` throws when message 2 carries the server's refusal: unlike a close code, it is
 * authenticated (only the holder of the pinned server key writes message 2).
 */
export class HandshakeRefusal extends SealPushError {}

export interface AcceptHelloOptions {
  readonly staticKey: KeyPair;
  /**
   * Older server keys still accepted (an identity rotation's overlap), tried in order after
   * `staticKey`: a hello made to none of them fails as before, at one DH per key tried.
   */
  readonly previousKeys?: readonly KeyPair[];
  readonly crypto: NoiseCrypto;
  /** Tests and vectors only: a fixed server ephemeral key. */
  readonly ephemeral?: KeyPair;
}

export interface StartHelloOptions {
  readonly appId: string;
  /** The pinned server static public key (32 bytes). */
  readonly serverKey: Uint8Array;
  readonly staticKey: KeyPair;
  readonly payload: ClientHelloPayload;
  readonly crypto: NoiseCrypto;
  /** Tests and vectors only: a fixed client ephemeral key. */
  readonly ephemeral?: KeyPair;
}

export interface StartedHello {
  /** The first WebSocket message. */
  readonly hello: Uint8Array;
  /** Reads the server's reply; call at most once. */
  finish(reply: Uint8Array): Promise<SessionKeys & { readonly payload: ServerHelloPayload }>;
}

function handshakeError(detail: string): SealPushError {
  return new SealPushError('ERR_HANDSHAKE', `handshake failed: ${detail}`);
}

/** `[u8 version][u8 appIdLen][appId ASCII]`: the cleartext hello header. */
function encodeHeader(appId: string): Uint8Array {
  if (!APP_ID.test(appId)) throw handshakeError('appId must be 1..64 of A-Z a-z 0-9 _ -');
  return concatBytes(Uint8Array.of(PROTOCOL_VERSION, appId.length), utf8Encode(appId));
}

function prologueFor(header: Uint8Array): Uint8Array {
  return concatBytes(utf8Encode(PROLOGUE_LABEL), header);
}

/** The NoiseCrypto must run the channel's suite: another one would name another protocol. */
function checkSuite(crypto: NoiseCrypto): void {
  if (crypto.suite !== NOISE_SUITE) throw new SealPushError('ERR_INTERNAL', `the handshake runs ${NOISE_SUITE}, not ${crypto.suite}`);
}

/** Runs a Noise step, turning any failure that is not already ours into ERR_HANDSHAKE. */
async function noiseStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof SealPushError) throw err;
    throw handshakeError('Noise message rejected');
  }
}

/** Server side: reads the client's hello (the first WebSocket message). */
export async function acceptHello(bytes: Uint8Array, options: AcceptHelloOptions): Promise<AcceptedHello> {
  if (bytes.length < 1) throw handshakeError('empty hello');
  checkSuite(options.crypto);
  if (bytes[0] !== PROTOCOL_VERSION) {
    throw new SealPushError('ERR_VERSION', `protocol version ${bytes[0]} is not supported: this server speaks version ${PROTOCOL_VERSION} only (${NOISE_PROTOCOL_NAME}); use the sealpush/client of the same release`);
  }
  if (bytes.length > MAX_HELLO_BYTES) throw handshakeError('hello too large');
  const appIdLength = bytes[1] ?? 0;
  if (appIdLength < 1 || appIdLength > MAX_APP_ID_LENGTH) throw handshakeError('appId length out of range');
  const headerLength = 2 + appIdLength;
  if (bytes.length < headerLength + MIN_NOISE_MESSAGE_1) throw handshakeError('hello too short');
  const header = bytes.slice(0, headerLength);
  const appId = String.fromCharCode(...header.subarray(2));
  if (!APP_ID.test(appId)) throw handshakeError('appId must be 1..64 of A-Z a-z 0-9 _ -');

  const keys = [options.staticKey, ...(options.previousKeys ?? [])];
  let opened: { state: HandshakeState; payloadBytes: Uint8Array; keyIndex: number } | null = null;
  for (const [keyIndex, staticKey] of keys.entries()) {
    const state = await noiseStep(() =>
      HandshakeState.initialize({
        crypto: options.crypto,
        pattern: PATTERNS.IK,
        initiator: false,
        prologue: prologueFor(header),
        s: staticKey,
        e: options.ephemeral,
      }),
    );
    try {
      opened = { state, payloadBytes: await noiseStep(() => state.readMessage(bytes.subarray(headerLength))), keyIndex };
      break;
    } catch (err) {
      if (keyIndex === keys.length - 1) throw err;
    }
  }
  const { state, payloadBytes, keyIndex } = opened!;
  const payload = decodeClientHelloPayload(payloadBytes);
  const clientStaticKey = state.remoteStaticKey;
  if (clientStaticKey === undefined) throw handshakeError('no client static key');

  let answered = false;
  const answerOnce = (): void => {
    if (answered) throw new SealPushError('ERR_INTERNAL', 'the hello was answered twice');
    answered = true;
  };
  return {
    version: PROTOCOL_VERSION,
    appId,
    clientStaticKey,
    payload,
    keyIndex,
    refuse: async (code) => {
      answerOnce();
      return noiseStep(() => state.writeMessage(encodeServerRefusal(code)));
    },
    accept: async (serverPayload) => {
      answerOnce();
      const reply = await noiseStep(() => state.writeMessage(encodeServerHelloPayload(serverPayload)));
      const { initiatorToResponder, responderToInitiator, sessionSecret } = await noiseStep(() => state.split());
      return {
        reply,
        sendKey: responderToInitiator.key!,
        receiveKey: initiatorToResponder.key!,
        handshakeHash: state.handshakeHash,
        sessionSecret,
      };
    },
  };
}

/** Client side: builds the hello; `finish` reads the server's reply. */
export async function startHello(options: StartHelloOptions): Promise<StartedHello> {
  checkSuite(options.crypto);
  if (options.serverKey.length !== DHLEN) throw handshakeError('serverKey must be 32 bytes');
  const header = encodeHeader(options.appId);
  const payload = encodeClientHelloPayload(options.payload);
  const state = await noiseStep(() =>
    HandshakeState.initialize({
      crypto: options.crypto,
      pattern: PATTERNS.IK,
      initiator: true,
      prologue: prologueFor(header),
      s: options.staticKey,
      e: options.ephemeral,
      rs: options.serverKey,
    }),
  );
  const message = await noiseStep(() => state.writeMessage(payload));

  let finished = false;
  return {
    hello: concatBytes(header, message),
    finish: async (reply) => {
      if (finished) throw handshakeError('finish() called twice');
      finished = true;
      if (reply.length < MIN_NOISE_MESSAGE_2 || reply.length > MAX_REPLY_BYTES) throw handshakeError('reply length');
      const answer = decodeServerReply(await noiseStep(() => state.readMessage(reply)));
      if ('refused' in answer) throw new HandshakeRefusal(answer.refused, `The server refused the handshake: ${answer.refused}`);
      const serverPayload = answer.payload;
      const { initiatorToResponder, responderToInitiator, sessionSecret } = await noiseStep(() => state.split());
      return {
        payload: serverPayload,
        sendKey: initiatorToResponder.key!,
        receiveKey: responderToInitiator.key!,
        handshakeHash: state.handshakeHash,
        sessionSecret,
      };
    },
  };
}
