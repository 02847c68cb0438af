/**
 * The sealpush v3 handshake (docs/protocol.md, "Handshake"): Noise_IK_25519_ChaChaPoly_SHA256
 * with a cleartext header bound into the prologue. Browser-safe: the caller passes the
 * NoiseCrypto of the channel's suite (node:crypto and sodium-native on the server and the Node
 * SDK, WebCrypto and @noble/ciphers in the browser SDK).
 *
 * Failures: a first byte other than a known version -> ERR_VERSION; anything else wrong with
 * the hello, the reply or a payload, including every Noise failure -> ERR_HANDSHAKE.
 */

import { SealPushError } from '../domain/errors.js';
import { concatBytes, utf8Encode } from './encoding.js';
import { HandshakeState } from './noise/handshake-state.js';
import { PATTERNS } from './noise/patterns.js';
import { DHLEN, TAGLEN, type KeyPair, type NoiseCrypto } from './noise/primitives.js';
import { type ClientHelloPayload, MAX_HANDSHAKE_PAYLOAD_BYTES, decodeClientHelloPayload, encodeClientHelloPayload } from './hello-payloads.js';
import {
  APP_ID,
  MAX_APP_ID_LENGTH,
  NOISE_SUITE,
  type HelloAnswer,
  type StartedHello,
  answerWith,
  checkSuite,
  finishWith,
  handshakeError,
  noiseStep,
  prologueFor,
} from './hello-noise.js';

export { HandshakeRefusal, MAX_APP_ID_LENGTH, NOISE_SUITE, PROLOGUE_LABEL, type SessionKeys, type StartedHello } from './hello-noise.js';

/**
 * 3 since the channel moved from AES-256-GCM to ChaCha20-Poly1305 (Noise's
 * 25519_ChaChaPoly_SHA256; issue 16: a quarter of the server's AEAD cost per frame), 2 since
 * the client's key confirmation (CONFIRM, docs/protocol.md section 2.5). An older SDK is
 * refused at its first byte with ERR_VERSION instead of failing somewhere in the handshake.
 */
export const PROTOCOL_VERSION = 3;
export const NOISE_PROTOCOL_NAME = `Noise_IK_${NOISE_SUITE}`;
/** IK message 1 without payload: e, encrypted s; plus the payload's tag. */
const MIN_NOISE_MESSAGE_1 = DHLEN + DHLEN + TAGLEN + TAGLEN;
/** Message 2 (IK or NNpsk0) without payload: e; plus the payload's tag. */
export const MIN_NOISE_MESSAGE_2 = DHLEN + TAGLEN;
/** Largest hello a server reads; anything longer is refused before any cryptography. */
export const MAX_HELLO_BYTES = 2 + MAX_APP_ID_LENGTH + MIN_NOISE_MESSAGE_1 + MAX_HANDSHAKE_PAYLOAD_BYTES;
/** Largest reply a client reads. */
export const MAX_REPLY_BYTES = MIN_NOISE_MESSAGE_2 + MAX_HANDSHAKE_PAYLOAD_BYTES;

export interface AcceptedHello extends HelloAnswer {
  readonly version: number;
  readonly appId: string;
  /** The client's identity: its authenticated Noise static public key (32 bytes). */
  readonly clientStaticKey: Uint8Array;
  readonly payload: ClientHelloPayload;
  /** Which server key the client used: 0 for `staticKey`, i for `previousKeys[i - 1]`. */
  readonly keyIndex: number;
}

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

/** The first byte of a hello: anything but this version is ERR_VERSION, whatever follows. */
export function checkVersion(bytes: Uint8Array): void {
  if (bytes.length < 1) throw handshakeError('empty hello');
  if (bytes[0] !== PROTOCOL_VERSION) {
    throw new SealPushError('ERR_VERSION', `protocol version ${bytes[0]} is not supported: this server speaks version ${PROTOCOL_VERSION} only (${NOISE_PROTOCOL_NAME}); use the sealpush/client of the same release`);
  }
}

/** `[u8 version][u8 appIdLen][appId ASCII]`: the cleartext hello header. */
function encodeHeader(appId: string): Uint8Array {
  if (!APP_ID.test(appId)) throw handshakeError('appId must be 1..64 of A-Z a-z 0-9 _ -');
  return concatBytes(Uint8Array.of(PROTOCOL_VERSION, appId.length), utf8Encode(appId));
}

/** Server side: reads the client's hello (the first WebSocket message). */
export async function acceptHello(bytes: Uint8Array, options: AcceptHelloOptions): Promise<AcceptedHello> {
  checkVersion(bytes);
  checkSuite(options.crypto);
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

  return { version: PROTOCOL_VERSION, appId, clientStaticKey, payload, keyIndex, ...answerWith(state) };
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

  return { hello: concatBytes(header, message), finish: finishWith(state, MIN_NOISE_MESSAGE_2, MAX_REPLY_BYTES) };
}
