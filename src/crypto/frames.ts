/**
 * The plaintext of sealpush v3 transport frames (docs/protocol.md, "Frames"): `[u8 type][body]`,
 * all integers big-endian. Pure and browser-safe.
 *
 * Decoders take peer input and are exact: anything but one well-formed frame of the expected
 * direction throws SealPushError('ERR_PROTOCOL'). Encoders take our own values and throw
 * SealPushError('ERR_INTERNAL') on a value the format cannot carry (a caller bug).
 */

import { SealPushError } from '../domain/errors.js';
import type { DeliverableMessage } from '../domain/types.js';
import { readU64, utf8Decode, writeU64 } from './encoding.js';
import { TAGLEN } from './noise/primitives.js';
import { ACK_SIGNATURE_BYTES } from './ack-receipt.js';
import { MAX_TICKET_BYTES } from './resume-hello.js';

export const FRAME_TYPE = { DELIVER: 0x01, ACK: 0x02, HEARTBEAT: 0x03, SIGNED_ACK: 0x04, CONFIRM: 0x05, TICKET: 0x06 } as const;
/** A SIGNED_ACK plaintext: type, u64 uptoSeq, Ed25519 signature. */
export const SIGNED_ACK_BYTES = 1 + 8 + ACK_SIGNATURE_BYTES;

/** Bytes a sealed frame adds to its plaintext (the AES-GCM tag). */
export const SEAL_OVERHEAD = TAGLEN;
/** Most messages one DELIVER frame can carry (u16 count). */
export const MAX_DELIVER_COUNT = 0xffff;
/** Message ids are 1..255 bytes of UTF-8 (u8 length). */
export const MAX_ID_BYTES = 0xff;
/** DELIVER plaintext bytes before the first message: type, count. */
export const DELIVER_HEADER_BYTES = 3;
/** Fixed bytes per message in a DELIVER body: seq, createdAt, idLen, dataLen. */
const MESSAGE_FIXED_BYTES = 8 + 8 + 1 + 4;
const MAX_U32 = 0xffff_ffff;

/** Frames the server sends. `data` of a decoded message is a view into the decoded plaintext. */
export type ServerFrame =
  | { readonly type: 'deliver'; readonly messages: DeliverableMessage[] }
  | { readonly type: 'heartbeat' }
  /**
   * A resumption ticket for this client's next connection (docs/protocol.md section 2.6): opaque
   * bytes the server sealed, and when the server stops accepting them (ms since the epoch).
   */
  | { readonly type: 'ticket'; readonly expiresAt: number; readonly ticket: Uint8Array };

/**
 * Frames the client sends. `seq` is cumulative: every seq <= it was handed to the application;
 * 0 acknowledges nothing (a cohort client sends one ACK per tick, whatever it received).
 */
export type ClientFrame =
  | { readonly type: 'ack'; readonly seq: number }
  /** An ACK signed with the client's ack key (docs/receipts.md): the same `seq`, and proof of it. */
  | { readonly type: 'signed-ack'; readonly seq: number; readonly signature: Uint8Array }
  /**
   * Key confirmation: the client's first frame (counter 0), right after handshake message 2.
   * Only the holder of the client's ephemeral and static private keys can seal it, so a
   * replayed hello never gets this far (docs/protocol.md section 2.5).
   */
  | { readonly type: 'confirm' };

/** UTF-8 length of `text` as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) length += 1;
    else if (c < 0x800) length += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        i += 1;
      } else length += 3;
    } else length += 3;
  }
  return length;
}

/** Bytes one message adds to a DELIVER plaintext: for packing frames under maxFrameBytes. */
export function deliverMessageSize(message: DeliverableMessage): number {
  return MESSAGE_FIXED_BYTES + utf8Length(message.id) + message.data.length;
}

/** Plaintext size of a DELIVER frame; its sealed size is this plus SEAL_OVERHEAD. */
export function deliverFrameSize(messages: readonly DeliverableMessage[]): number {
  let size = DELIVER_HEADER_BYTES;
  for (const m of messages) size += deliverMessageSize(m);
  return size;
}

function encodeError(detail: string): SealPushError {
  return new SealPushError('ERR_INTERNAL', `cannot encode frame: ${detail}`);
}

const textEncoder = new TextEncoder();

/** One DELIVER plaintext, written straight into one buffer sized from the inputs. */
export function encodeDeliver(messages: readonly DeliverableMessage[]): Uint8Array {
  if (messages.length < 1 || messages.length > MAX_DELIVER_COUNT) throw encodeError('DELIVER count out of range');
  const idLengths = new Array<number>(messages.length);
  let size = DELIVER_HEADER_BYTES;
  let previousSeq = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (!Number.isSafeInteger(m.seq) || m.seq <= previousSeq) throw encodeError('seqs must increase from 1');
    if (!Number.isSafeInteger(m.createdAt) || m.createdAt < 0) throw encodeError('createdAt out of range');
    if (m.data.length > MAX_U32) throw encodeError('data too long');
    const idLength = utf8Length(m.id);
    if (idLength < 1 || idLength > MAX_ID_BYTES) throw encodeError('id must be 1..255 UTF-8 bytes');
    idLengths[i] = idLength;
    previousSeq = m.seq;
    size += MESSAGE_FIXED_BYTES + idLength + m.data.length;
  }
  const out = new Uint8Array(size);
  out[0] = FRAME_TYPE.DELIVER;
  out[1] = messages.length >>> 8;
  out[2] = messages.length & 0xff;
  let offset = DELIVER_HEADER_BYTES;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const idLength = idLengths[i]!;
    writeU64(out, offset, m.seq);
    writeU64(out, offset + 8, m.createdAt);
    out[offset + 16] = idLength;
    offset += 17;
    textEncoder.encodeInto(m.id, out.subarray(offset, offset + idLength));
    offset += idLength;
    const dataLength = m.data.length;
    out[offset] = dataLength >>> 24;
    out[offset + 1] = (dataLength >>> 16) & 0xff;
    out[offset + 2] = (dataLength >>> 8) & 0xff;
    out[offset + 3] = dataLength & 0xff;
    out.set(m.data, offset + 4);
    offset += 4 + dataLength;
  }
  return out;
}

export function encodeAck(seq: number): Uint8Array {
  // ACK 0 acknowledges nothing: a cohort client's per-tick cover frame before its first message.
  if (!Number.isSafeInteger(seq) || seq < 0) throw encodeError('ACK seq out of range');
  const out = new Uint8Array(9);
  out[0] = FRAME_TYPE.ACK;
  writeU64(out, 1, seq);
  return out;
}

/** A SIGNED_ACK: the 64-byte signature is over ackSignedBytes (crypto/ack-receipt.ts). */
export function encodeSignedAck(seq: number, signature: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 0) throw encodeError('ACK seq out of range');
  if (signature.length !== ACK_SIGNATURE_BYTES) throw encodeError('an ACK signature is 64 bytes');
  const out = new Uint8Array(SIGNED_ACK_BYTES);
  out[0] = FRAME_TYPE.SIGNED_ACK;
  writeU64(out, 1, seq);
  out.set(signature, 9);
  return out;
}

/** CONFIRM: the type byte alone. */
export function encodeConfirm(): Uint8Array {
  return Uint8Array.of(FRAME_TYPE.CONFIRM);
}

export function encodeHeartbeat(): Uint8Array {
  return Uint8Array.of(FRAME_TYPE.HEARTBEAT);
}

/** TICKET: `[u8 type][u64 expiresAt][ticket]`, the ticket 1..MAX_TICKET_BYTES bytes. */
export function encodeTicket(expiresAt: number, ticket: Uint8Array): Uint8Array {
  if (ticket.length < 1 || ticket.length > MAX_TICKET_BYTES) throw new SealPushError('ERR_INTERNAL', 'cannot encode TICKET: ticket length');
  const plaintext = new Uint8Array(9 + ticket.length);
  plaintext[0] = FRAME_TYPE.TICKET;
  writeU64(plaintext, 1, expiresAt);
  plaintext.set(ticket, 9);
  return plaintext;
}

function protocolError(detail: string): SealPushError {
  return new SealPushError('ERR_PROTOCOL', `malformed frame: ${detail}`);
}

function decodeDeliverBody(plaintext: Uint8Array): DeliverableMessage[] {
  if (plaintext.length < DELIVER_HEADER_BYTES) throw protocolError('DELIVER too short');
  const count = (plaintext[1]! << 8) | plaintext[2]!;
  if (count === 0) throw protocolError('DELIVER count is 0');
  const messages: DeliverableMessage[] = [];
  let offset = DELIVER_HEADER_BYTES;
  let previousSeq = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 17 > plaintext.length) throw protocolError('DELIVER truncated');
    let seq: number;
    let createdAt: number;
    try {
      seq = readU64(plaintext, offset);
      createdAt = readU64(plaintext, offset + 8);
    } catch {
      throw protocolError('u64 above 2^53-1');
    }
    if (seq <= previousSeq) throw protocolError('seqs must increase from 1');
    const idLength = plaintext[offset + 16]!;
    if (idLength === 0) throw protocolError('empty id');
    offset += 17;
    if (offset + idLength + 4 > plaintext.length) throw protocolError('DELIVER truncated');
    let id: string;
    try {
      id = utf8Decode(plaintext.subarray(offset, offset + idLength));
    } catch {
      throw protocolError('id is not UTF-8');
    }
    offset += idLength;
    const dataLength =
      ((plaintext[offset]! << 24) | (plaintext[offset + 1]! << 16) | (plaintext[offset + 2]! << 8) | plaintext[offset + 3]!) >>>
      0;
    offset += 4;
    if (offset + dataLength > plaintext.length) throw protocolError('DELIVER truncated');
    messages.push({ seq, createdAt, id, data: plaintext.subarray(offset, offset + dataLength) });
    offset += dataLength;
    previousSeq = seq;
  }
  if (offset !== plaintext.length) throw protocolError('trailing bytes after DELIVER');
  return messages;
}

/** Decodes a frame the client received. */
export function decodeServerFrame(plaintext: Uint8Array): ServerFrame {
  switch (plaintext[0]) {
    case FRAME_TYPE.DELIVER:
      return { type: 'deliver', messages: decodeDeliverBody(plaintext) };
    case FRAME_TYPE.HEARTBEAT:
      if (plaintext.length !== 1) throw protocolError('HEARTBEAT has a body');
      return { type: 'heartbeat' };
    case FRAME_TYPE.TICKET:
      if (plaintext.length < 10 || plaintext.length > 9 + MAX_TICKET_BYTES) throw protocolError('TICKET length');
      return { type: 'ticket', expiresAt: bodyU64(plaintext), ticket: plaintext.slice(9) };
    case FRAME_TYPE.ACK:
    case FRAME_TYPE.SIGNED_ACK:
    case FRAME_TYPE.CONFIRM:
      throw protocolError('frame type goes from client to server');
    default:
      throw protocolError('unknown or missing frame type');
  }
}

/** Decodes a frame the server received. */
export function decodeClientFrame(plaintext: Uint8Array): ClientFrame {
  switch (plaintext[0]) {
    case FRAME_TYPE.ACK:
      if (plaintext.length !== 9) throw protocolError('ACK body is not 8 bytes');
      return { type: 'ack', seq: bodyU64(plaintext) };
    case FRAME_TYPE.SIGNED_ACK:
      if (plaintext.length !== SIGNED_ACK_BYTES) throw protocolError('SIGNED_ACK body is not 72 bytes');
      return { type: 'signed-ack', seq: bodyU64(plaintext), signature: plaintext.slice(9) };
    case FRAME_TYPE.CONFIRM:
      if (plaintext.length !== 1) throw protocolError('CONFIRM has a body');
      return { type: 'confirm' };
    case FRAME_TYPE.DELIVER:
    case FRAME_TYPE.HEARTBEAT:
    case FRAME_TYPE.TICKET:
      throw protocolError('frame type goes from server to client');
    default:
      throw protocolError('unknown or missing frame type');
  }
}

/** The u64 after the type byte: an ACK's seq, a TICKET's expiry. */
function bodyU64(plaintext: Uint8Array): number {
  try {
    return readU64(plaintext, 1);
  } catch {
    throw protocolError('u64 above 2^53-1');
  }
}
