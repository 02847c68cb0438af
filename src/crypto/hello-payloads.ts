/**
 * The JSON payloads inside the sealpush v3 handshake (docs/protocol.md, "Handshake payloads").
 * Browser-safe. Decoders check every known field's type strictly and ignore unknown fields
 * (forward compatibility); they throw SealPushError('ERR_HANDSHAKE'). Encoders throw
 * SealPushError('ERR_INTERNAL') on values the protocol cannot carry (a caller bug).
 */

import { ERROR_CATALOGUE, SealPushError, type ErrorCode } from '../domain/errors.js';
import { DEFAULT_MAX_JSON_DEPTH, parseJsonWithin } from '../domain/json-depth.js';
import { base64urlDecode, base64urlEncode, utf8Decode, utf8Encode } from './encoding.js';

/** Bound on either payload's UTF-8 JSON text, so a hello is cheap to refuse. */
export const MAX_HANDSHAKE_PAYLOAD_BYTES = 1024;
/** Smallest maxFrameBytes a server may announce: room for any ACK and a small DELIVER. */
export const MIN_MAX_FRAME_BYTES = 256;
/** Client ids are 1..128 characters. */
export const MAX_CLIENT_ID_LENGTH = 128;

/** Client to server, in Noise message 1. */
export interface ClientHelloPayload {
  /** Highest seq the client already handed to its application (0: none). */
  readonly lastSeq: number;
  /**
   * The client's Ed25519 ack key (32 raw bytes; base64url on the wire), with which it signs
   * its ACKs (docs/receipts.md). Absent: an SDK without receipts; its ACKs stay plain.
   */
  readonly ackKey?: Uint8Array;
  /**
   * The client's X25519 public key for HPKE (relay-blind mode) only, 32 bytes; on the wire
   * base64url. Never the Noise static key. Absent: the client publishes none.
   */
  readonly hpkeKey?: Uint8Array;
}

/** Server to client, in Noise message 2. */
export interface ServerHelloPayload {
  readonly clientId: string;
  /** True when the client's static key was already known (its client id is resumed). */
  readonly resumed: boolean;
  /** The server sends a HEARTBEAT at least this often when it has nothing else to send. */
  readonly heartbeatMs: number;
  /** Bound on one sealed frame (WebSocket message) in either direction. */
  readonly maxFrameBytes: number;
  /**
   * Present in cohort delivery: every server message is then a cohort envelope (docs/protocol.md
   * section 7), one per this many ms, and never a transport frame. Absent: direct delivery.
   */
  readonly cohortTickMs?: number;
  /**
   * True when the server registered the ack key the hello carried: every ACK on this
   * connection must then be a SIGNED_ACK. Absent: plain ACKs (an older server ignores ackKey).
   */
  readonly signedAcks?: boolean;
  /**
   * Present only when the client reached the server with an identity key that a rotation
   * replaced (docs/keys.md): the new server public key (base64url of 32 bytes), which the
   * client pins from now on. Authenticated by the old key: only its holder can write message 2.
   */
  readonly nextServerKey?: string;
  /** With nextServerKey: when the key the client used stops being accepted (ms since the epoch). */
  readonly nextServerKeyUntil?: number;
}

/**
 * What message 2 carries: a session, or the server's refusal of this hello (an unknown app, an
 * ack key other than the registered one). A refusal is as authenticated as a session: only the
 * holder of the server key the client pinned can write message 2.
 */
export type ServerReply = { readonly payload: ServerHelloPayload } | { readonly refused: ErrorCode };

type Fail = (detail: string) => SealPushError;

const handshakeError: Fail = (detail) => new SealPushError('ERR_HANDSHAKE', `invalid handshake payload: ${detail}`);
const internalError: Fail = (detail) => new SealPushError('ERR_INTERNAL', `cannot encode handshake payload: ${detail}`);

function isInteger(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

function checkClient(value: unknown, fail: Fail): ClientHelloPayload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('not a JSON object');
  const { lastSeq, ackKey, hpkeKey } = value as Record<string, unknown>;
  if (!isInteger(lastSeq, 0)) throw fail('lastSeq must be an integer >= 0');
  return {
    lastSeq,
    ...(ackKey === undefined ? {} : { ackKey: key32Field(ackKey, 'ackKey', fail) }),
    ...(hpkeKey === undefined ? {} : { hpkeKey: key32Field(hpkeKey, 'hpkeKey', fail) }),
  };
}

/**
 * A 32-byte key: base64url text (no padding, canonical) on the wire, bytes in memory (either
 * is checked).
 */
function key32Field(value: unknown, name: string, fail: Fail): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value)) {
    try {
      bytes = base64urlDecode(value);
      if (base64urlEncode(bytes) !== value) bytes = undefined;
    } catch {
      bytes = undefined;
    }
  }
  if (bytes?.length !== 32) throw fail(`${name} must be base64url of 32 bytes`);
  return bytes;
}

/** An X25519 public key. */
export const HPKE_PUBLIC_KEY_BYTES = 32;

function checkServer(value: unknown, fail: Fail): ServerHelloPayload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('not a JSON object');
  const { clientId, resumed, heartbeatMs, maxFrameBytes, cohortTickMs, signedAcks, nextServerKey, nextServerKeyUntil } = value as Record<string, unknown>;
  if (typeof clientId !== 'string' || clientId.length < 1 || clientId.length > MAX_CLIENT_ID_LENGTH) {
    throw fail('clientId must be a string of 1..128 characters');
  }
  if (typeof resumed !== 'boolean') throw fail('resumed must be a boolean');
  if (!isInteger(heartbeatMs, 1)) throw fail('heartbeatMs must be an integer >= 1');
  if (!isInteger(maxFrameBytes, MIN_MAX_FRAME_BYTES)) throw fail(`maxFrameBytes must be an integer >= ${MIN_MAX_FRAME_BYTES}`);
  if (cohortTickMs !== undefined && !isInteger(cohortTickMs, 1)) throw fail('cohortTickMs must be an integer >= 1');
  if (signedAcks !== undefined && signedAcks !== true) throw fail('signedAcks must be true when present');
  const next = checkNextServerKey(nextServerKey, nextServerKeyUntil, fail);
  return {
    clientId,
    resumed,
    heartbeatMs,
    maxFrameBytes,
    ...(cohortTickMs === undefined ? {} : { cohortTickMs }),
    ...(signedAcks === undefined ? {} : { signedAcks }),
    ...next,
  };
}

/** nextServerKey and nextServerKeyUntil come together or not at all. */
function checkNextServerKey(key: unknown, until: unknown, fail: Fail): { nextServerKey?: string; nextServerKeyUntil?: number } {
  if (key === undefined && until === undefined) return {};
  if (typeof key !== 'string') throw fail('nextServerKey must be base64url of 32 bytes');
  key32Field(key, 'nextServerKey', fail);
  if (!isInteger(until, 0)) throw fail('nextServerKeyUntil must be an integer >= 0, given with nextServerKey');
  return { nextServerKey: key, nextServerKeyUntil: until };
}

function encodeJson(value: object, fail: Fail): Uint8Array {
  const bytes = utf8Encode(JSON.stringify(value));
  if (bytes.length > MAX_HANDSHAKE_PAYLOAD_BYTES) throw fail('payload too large');
  return bytes;
}

function decodeJson(bytes: Uint8Array): unknown {
  if (bytes.length > MAX_HANDSHAKE_PAYLOAD_BYTES) throw handshakeError('payload too large');
  try {
    return parseJsonWithin(utf8Decode(bytes), DEFAULT_MAX_JSON_DEPTH);
  } catch {
    throw handshakeError(`not UTF-8 JSON nested at most ${DEFAULT_MAX_JSON_DEPTH} levels`);
  }
}

/** Writes exactly the known fields, in a fixed order. */
export function encodeClientHelloPayload(payload: ClientHelloPayload): Uint8Array {
  const { lastSeq, ackKey, hpkeKey } = checkClient(payload, internalError);
  return encodeJson(
    {
      lastSeq,
      ...(ackKey === undefined ? {} : { ackKey: base64urlEncode(ackKey) }),
      ...(hpkeKey === undefined ? {} : { hpkeKey: base64urlEncode(hpkeKey) }),
    },
    internalError,
  );
}

export function decodeClientHelloPayload(bytes: Uint8Array): ClientHelloPayload {
  return checkClient(decodeJson(bytes), handshakeError);
}

/** Writes exactly the known fields, in a fixed order. */
export function encodeServerHelloPayload(payload: ServerHelloPayload): Uint8Array {
  // checkServer builds the object in the documented field order, optional fields last.
  return encodeJson(checkServer(payload, internalError), internalError);
}

export function decodeServerHelloPayload(bytes: Uint8Array): ServerHelloPayload {
  return checkServer(decodeJson(bytes), handshakeError);
}

/** `{"error":"ERR_..."}`: a refusal in place of the server payload. */
export function encodeServerRefusal(code: ErrorCode): Uint8Array {
  if (!Object.hasOwn(ERROR_CATALOGUE, code)) throw internalError('unknown error code');
  return encodeJson({ error: code }, internalError);
}

/** A session payload, or a refusal naming a catalogue code (any other `error` fails the handshake). */
export function decodeServerReply(bytes: Uint8Array): ServerReply {
  const value = decodeJson(bytes);
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, 'error')) {
    const { error } = value as { error: unknown };
    if (typeof error !== 'string' || !Object.hasOwn(ERROR_CATALOGUE, error)) throw handshakeError('error must be a catalogue code');
    return { refused: error as ErrorCode };
  }
  return { payload: checkServer(value, handshakeError) };
}
