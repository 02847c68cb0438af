import { SealPushError } from '../domain/errors.js';

/**
 * What a client keeps to resume: its client id, the private half of its static key (its
 * identity: keep it as you would a password), the private half of its ack key (which signs
 * its receipts: the same care), and the highest seq it handed to the application. JSON-serialisable; store it (localStorage, a file) and pass it back to
 * `connect({ session })` after a disconnect or a page reload.
 */
export interface SavedSession {
  readonly v: 1;
  readonly appId: string;
  readonly clientId: string;
  /** base64url of the 32-byte X25519 private key. */
  readonly staticKey: string;
  readonly lastSeq: number;
  /**
   * base64url of the 32-byte Ed25519 private key that signs this client's ACKs. Absent in
   * sessions saved by an SDK without receipts: a new key is made and registered at connect.
   */
  readonly ackKey?: string;
  /**
   * base64url of the 32-byte X25519 private key for relay-blind HPKE only (never the Noise
   * static key). Absent in sessions saved before relay-blind mode: a new one is made.
   */
  readonly hpkeKey?: string;
  /**
   * Present once the server announced a new identity key (docs/keys.md): base64url of it.
   * `connect({ session })` tries it after the pinned `serverKey`/`serverKeys`, once they are refused.
   */
  readonly serverKey?: string;
  /**
   * The resumption ticket of the last session (docs/protocol.md section 2.6), used once by the
   * next connection instead of the full handshake. Whoever holds it (with the psk beside it)
   * can resume this client once before `expiresAt`: read its messages in that one session, as
   * with the static key. Absent: the next connection runs the full handshake.
   */
  readonly ticket?: SavedTicket;
}

/** A ticket as saved: the server's opaque bytes, the psk this side derived, and the server's expiry. */
export interface SavedTicket {
  /** base64url of the ticket (at most 512 bytes). */
  readonly value: string;
  /** base64url of the 32-byte resumption psk. */
  readonly psk: string;
  /** ms since the Unix epoch. */
  readonly expiresAt: number;
  /** base64url of the server key the client pinned for the session that brought it: the ticket is presented only with that key pinned. */
  readonly serverKey: string;
}

const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** Checks a session read back from storage; throws ERR_BAD_REQUEST naming what is wrong. */
export function parseSession(input: unknown, appId: string): SavedSession {
  if (typeof input !== 'object' || input === null) throw invalid('not an object');
  const s = input as Record<string, unknown>;
  if (s.v !== 1) throw invalid('unknown version');
  if (s.appId !== appId) throw invalid(`it belongs to app "${String(s.appId)}", not "${appId}"`);
  if (typeof s.clientId !== 'string' || s.clientId.length === 0) throw invalid('clientId missing');
  if (typeof s.staticKey !== 'string' || !BASE64URL_32.test(s.staticKey)) throw invalid('staticKey malformed');
  if (typeof s.lastSeq !== 'number' || !Number.isSafeInteger(s.lastSeq) || s.lastSeq < 0) throw invalid('lastSeq malformed');
  if (s.serverKey !== undefined && (typeof s.serverKey !== 'string' || !BASE64URL_32.test(s.serverKey))) throw invalid('serverKey malformed');
  let session: SavedSession = { v: 1, appId, clientId: s.clientId, staticKey: s.staticKey, lastSeq: s.lastSeq };
  if (s.serverKey !== undefined) session = { ...session, serverKey: s.serverKey };
  if (s.ackKey !== undefined) {
    if (typeof s.ackKey !== 'string' || !BASE64URL_32.test(s.ackKey)) throw invalid('ackKey malformed');
    session = { ...session, ackKey: s.ackKey };
  }
  if (s.ticket !== undefined) session = { ...session, ticket: parseTicket(s.ticket) };
  if (s.hpkeKey === undefined) return session;
  if (typeof s.hpkeKey !== 'string' || !BASE64URL_32.test(s.hpkeKey)) throw invalid('hpkeKey malformed');
  if (s.hpkeKey === s.staticKey) throw invalid('hpkeKey must not be the static key');
  return { ...session, hpkeKey: s.hpkeKey };
}

function parseTicket(input: unknown): SavedTicket {
  if (typeof input !== 'object' || input === null) throw invalid('ticket malformed');
  const { value, psk, expiresAt, serverKey } = input as Record<string, unknown>;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{2,683}$/.test(value)) throw invalid('ticket.value malformed');
  if (typeof psk !== 'string' || !BASE64URL_32.test(psk)) throw invalid('ticket.psk malformed');
  if (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt < 0) throw invalid('ticket.expiresAt malformed');
  if (typeof serverKey !== 'string' || !BASE64URL_32.test(serverKey)) throw invalid('ticket.serverKey malformed');
  return { value, psk, expiresAt, serverKey };
}

function invalid(why: string): SealPushError {
  return new SealPushError('ERR_BAD_REQUEST', `Invalid saved session: ${why}`);
}

/** The WebSocket URL for a server base URL (http(s)://host[:port][/prefix]) or a ws(s) URL. */
export function webSocketUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SealPushError('ERR_BAD_REQUEST', `Not a URL: ${url}`);
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  else if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new SealPushError('ERR_BAD_REQUEST', `Unsupported URL scheme ${parsed.protocol}`);
  }
  const path = parsed.pathname.replace(/\/+$/, '');
  parsed.pathname = path.endsWith('/v1/ws') ? path : `${path}/v1/ws`;
  return parsed.toString();
}
