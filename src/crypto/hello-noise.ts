/**
 * What the two sealpush handshakes (the full one, hello.ts: Noise IK; the resumption,
 * resume-hello.ts: Noise NNpsk0) share: the prologue, the suite check, the mapping of every
 * Noise failure to ERR_HANDSHAKE, and message 2 (a session or an authenticated refusal) with
 * the Split that follows it. Browser-safe.
 */

import { SealPushError, type ErrorCode } from '../domain/errors.js';
import { concatBytes, utf8Encode } from './encoding.js';
import type { HandshakeState } from './noise/handshake-state.js';
import type { NoiseCrypto, NoiseSuite } from './noise/primitives.js';
import {
  type ServerHelloPayload,
  decodeServerReply,
  encodeServerHelloPayload,
  encodeServerRefusal,
} from './hello-payloads.js';

/** The Noise suite of the channel: the NoiseCrypto every side passes must run this one. */
export const NOISE_SUITE: NoiseSuite = '25519_ChaChaPoly_SHA256';
/** ASCII bytes that start every prologue, before the hello header. */
export const PROLOGUE_LABEL = 'sealpush';
export const MAX_APP_ID_LENGTH = 64;
export const APP_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The transport keys of one side, each for a CipherState starting at counter 0. */
export interface SessionKeys {
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
  /** Noise h after the handshake: identical on both sides, usable as a channel binding. */
  readonly handshakeHash: Uint8Array;
  /**
   * 32 bytes both sides derive at Split (the third output of HKDF(ck, zerolen)) and never
   * send: the key of this session's cohort slots (crypto/cohort.ts), its close tokens and its
   * resumption psk (crypto/ticket.ts).
   */
  readonly sessionSecret: Uint8Array;
}

/** The server's side of message 2: call exactly one of the two, once. */
export interface HelloAnswer {
  /** Writes the reply (Noise message 2). */
  accept(serverPayload: ServerHelloPayload): Promise<SessionKeys & { readonly reply: Uint8Array }>;
  /** Writes message 2 carrying a refusal instead of a session. */
  refuse(code: ErrorCode): Promise<Uint8Array>;
}

export interface StartedHello {
  /** The first WebSocket message. */
  readonly hello: Uint8Array;
  /** Reads the server's reply; call at most once. */
  finish(reply: Uint8Array): Promise<SessionKeys & { readonly payload: ServerHelloPayload }>;
}

/**
 * What `finish` throws when message 2 carries the server's refusal: unlike a close code, it is
 * authenticated (only the holder of the pinned server key, or of the ticket's psk, writes message 2).
 */
export class HandshakeRefusal extends SealPushError {}

export function handshakeError(detail: string): SealPushError {
  return new SealPushError('ERR_HANDSHAKE', `handshake failed: ${detail}`);
}

export function prologueFor(header: Uint8Array): Uint8Array {
  return concatBytes(utf8Encode(PROLOGUE_LABEL), header);
}

/** The NoiseCrypto must run the channel's suite: another one would name another protocol. */
export function checkSuite(crypto: NoiseCrypto): void {
  if (crypto.suite !== NOISE_SUITE) throw new SealPushError('ERR_INTERNAL', `the handshake runs ${NOISE_SUITE}, not ${crypto.suite}`);
}

/** Runs a Noise step, turning any failure that is not already ours into ERR_HANDSHAKE. */
export async function noiseStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof SealPushError) throw err;
    throw handshakeError('Noise message rejected');
  }
}

/** Message 2 from the responder's state after it read message 1. */
export function answerWith(state: HandshakeState): HelloAnswer {
  let answered = false;
  const answerOnce = (): void => {
    if (answered) throw new SealPushError('ERR_INTERNAL', 'the hello was answered twice');
    answered = true;
  };
  return {
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

/** The initiator's `finish`: reads message 2 (at most once), between `minReply` and `maxReply` bytes. */
export function finishWith(state: HandshakeState, minReply: number, maxReply: number): StartedHello['finish'] {
  let finished = false;
  return async (reply) => {
    if (finished) throw handshakeError('finish() called twice');
    finished = true;
    if (reply.length < minReply || reply.length > maxReply) throw handshakeError('reply length');
    const answer = decodeServerReply(await noiseStep(() => state.readMessage(reply)));
    if ('refused' in answer) throw new HandshakeRefusal(answer.refused, `The server refused the handshake: ${answer.refused}`);
    const { initiatorToResponder, responderToInitiator, sessionSecret } = await noiseStep(() => state.split());
    return {
      payload: answer.payload,
      sendKey: initiatorToResponder.key!,
      receiveKey: responderToInitiator.key!,
      handshakeHash: state.handshakeHash,
      sessionSecret,
    };
  };
}
