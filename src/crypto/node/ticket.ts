/**
 * Resumption tickets (docs/protocol.md section 2.6), sealed by the server for itself: any node of
 * the deployment opens one, no node stores one. XChaCha20-Poly1305 (sodium-native) under the
 * ticket key of an epoch (domain/usecases/ticket-keys.ts), a random 24-byte nonce per ticket:
 *
 *   ticket   = [u8 format = 1][u32 epoch][24 nonce][XChaCha20-Poly1305(key(epoch), nonce, ad = the first 5 bytes, contents)][16 tag]
 *   contents = [16 id][u64 issuedAt][u64 expiresAt][32 psk][u32 identityVersion]
 *              [u8 appIdLen][appId][u8 clientIdLen][clientId]
 *
 * The psk is the session's resumption psk (resume-hello.ts), which the client derived too. The
 * id is what makes a ticket single-use (claimed at CONFIRM); the identity version ties it to the
 * server key the session was made with, so an identity rotation sends clients back to IK.
 */
import sodium from 'sodium-native';
import { SealPushError } from '../../domain/errors.js';
import { randomBytes } from '../../domain/ids.js';
import type { TicketKeyring } from '../../domain/usecases/ticket-keys.js';
import type { Clock } from '../../domain/ports/runtime.js';
import { readU64, utf8Decode, utf8Encode, writeU64 } from '../encoding.js';
import { TAGLEN } from '../noise/primitives.js';
import { MAX_TICKET_BYTES } from '../resume-hello.js';

export const TICKET_FORMAT = 1;
export const TICKET_ID_BYTES = 16;
const NONCE_BYTES = 24;
const HEADER_BYTES = 1 + 4;
const PSK_BYTES = 32;

/** What a ticket holds: enough to resume the session's client, and to refuse it when it must not. */
export interface TicketContents {
  /** Random: the key under which the ticket is claimed, once. */
  readonly id: Uint8Array;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly psk: Uint8Array;
  /** The server identity version of the session that issued it. */
  readonly identityVersion: number;
  readonly appId: string;
  readonly clientId: string;
}

function ticketError(detail: string): SealPushError {
  return new SealPushError('ERR_TICKET', `resumption ticket refused: ${detail}`);
}

function encodeContents(c: TicketContents): Uint8Array {
  const appId = utf8Encode(c.appId);
  const clientId = utf8Encode(c.clientId);
  if (c.id.length !== TICKET_ID_BYTES || c.psk.length !== PSK_BYTES || appId.length > 255 || clientId.length > 255) {
    throw new SealPushError('ERR_INTERNAL', 'cannot encode a ticket');
  }
  const out = new Uint8Array(TICKET_ID_BYTES + 8 + 8 + PSK_BYTES + 4 + 1 + appId.length + 1 + clientId.length);
  const view = new DataView(out.buffer);
  let at = 0;
  out.set(c.id, at);
  writeU64(out, (at += TICKET_ID_BYTES), c.issuedAt);
  writeU64(out, (at += 8), c.expiresAt);
  out.set(c.psk, (at += 8));
  view.setUint32((at += PSK_BYTES), c.identityVersion);
  out[(at += 4)] = appId.length;
  out.set(appId, (at += 1));
  out[(at += appId.length)] = clientId.length;
  out.set(clientId, at + 1);
  return out;
}

function decodeContents(bytes: Uint8Array): TicketContents {
  const fixed = TICKET_ID_BYTES + 8 + 8 + PSK_BYTES + 4;
  if (bytes.length < fixed + 2) throw ticketError('malformed');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const appIdLength = bytes[fixed]!;
  const clientIdAt = fixed + 1 + appIdLength;
  const clientIdLength = bytes[clientIdAt] ?? 0;
  if (clientIdAt + 1 + clientIdLength !== bytes.length) throw ticketError('malformed');
  return {
    id: bytes.slice(0, TICKET_ID_BYTES),
    issuedAt: readU64(bytes, TICKET_ID_BYTES),
    expiresAt: readU64(bytes, TICKET_ID_BYTES + 8),
    psk: bytes.slice(TICKET_ID_BYTES + 16, TICKET_ID_BYTES + 16 + PSK_BYTES),
    identityVersion: view.getUint32(TICKET_ID_BYTES + 16 + PSK_BYTES),
    appId: utf8Decode(bytes.subarray(fixed + 1, clientIdAt)),
    clientId: utf8Decode(bytes.subarray(clientIdAt + 1)),
  };
}

/** Seals `contents` under `key` of `epoch`; `nonce` only for vectors (else random). */
export function sealTicket(key: Uint8Array, epoch: number, contents: TicketContents, nonce: Uint8Array = randomBytes(NONCE_BYTES)): Uint8Array {
  const plaintext = encodeContents(contents);
  const out = new Uint8Array(HEADER_BYTES + NONCE_BYTES + plaintext.length + TAGLEN);
  out[0] = TICKET_FORMAT;
  new DataView(out.buffer).setUint32(1, epoch);
  out.set(nonce, HEADER_BYTES);
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(out.subarray(HEADER_BYTES + NONCE_BYTES), plaintext, out.subarray(0, HEADER_BYTES), null, out.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES), key);
  plaintext.fill(0);
  return out;
}

/** The epoch a ticket names (cleartext, authenticated as the AEAD's associated data). Throws ERR_TICKET. */
export function ticketEpoch(ticket: Uint8Array): number {
  if (ticket.length < HEADER_BYTES + NONCE_BYTES + TAGLEN || ticket.length > MAX_TICKET_BYTES || ticket[0] !== TICKET_FORMAT) throw ticketError('malformed');
  return new DataView(ticket.buffer, ticket.byteOffset, ticket.length).getUint32(1);
}

/** Opens a ticket with its epoch's key. Throws ERR_TICKET when it does not authenticate. */
export function openTicket(key: Uint8Array, ticket: Uint8Array): TicketContents {
  ticketEpoch(ticket);
  const plaintext = new Uint8Array(ticket.length - HEADER_BYTES - NONCE_BYTES - TAGLEN);
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext, null, ticket.subarray(HEADER_BYTES + NONCE_BYTES), ticket.subarray(0, HEADER_BYTES), ticket.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES), key);
  } catch {
    throw ticketError('it does not authenticate');
  }
  try {
    return decodeContents(plaintext);
  } catch (err) {
    throw err instanceof SealPushError ? err : ticketError('malformed');
  } finally {
    plaintext.fill(0);
  }
}

/** What the server seals for a session that just opened. */
export interface TicketSubject {
  readonly appId: string;
  readonly clientId: string;
  readonly identityVersion: number;
  readonly psk: Uint8Array;
}

/** Issues and opens tickets under the deployment's rotating keys. */
export class TicketSealer {
  constructor(
    private readonly keys: TicketKeyring,
    private readonly clock: Clock,
  ) {}

  async issue(subject: TicketSubject): Promise<{ readonly ticket: Uint8Array; readonly expiresAt: number }> {
    const { epoch, key } = await this.keys.current();
    const issuedAt = this.clock.now();
    const expiresAt = issuedAt + this.keys.lifetimeMs;
    return { ticket: sealTicket(key, epoch, { id: randomBytes(TICKET_ID_BYTES), issuedAt, expiresAt, ...subject }), expiresAt };
  }

  /** Opens a ticket, expired or not (the caller refuses an expired one inside the handshake). Throws ERR_TICKET. */
  async open(ticket: Uint8Array): Promise<TicketContents> {
    const key = await this.keys.forEpoch(ticketEpoch(ticket));
    if (key === null) throw ticketError('unknown or erased epoch');
    return openTicket(key, ticket);
  }
}
