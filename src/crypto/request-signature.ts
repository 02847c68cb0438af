/**
 * The signed-request scheme of the REST API (`SEALPUSH-HMAC-SHA256`): the pure parts shared
 * by the server (transport/http/auth.ts) and the back-end SDK (app/signing.ts). Runtime-free:
 * no `node:*`, no `Buffer`, no WebCrypto; each side computes the HMAC with its own primitives.
 *
 *   Authorization: SEALPUSH-HMAC-SHA256 app=<appId>,ts=<unix s>,nonce=<b64url>,sig=<b64url>
 *   sig = base64url(HMAC-SHA-256(secretBytes, canonicalRequest(...)))
 *
 * The canonical string is METHOD \n PATH_WITH_QUERY \n TS \n NONCE \n hex(sha256(body)), the
 * path exactly as sent on the wire (no normalisation), the body as its raw bytes (an empty
 * body hashes the empty string).
 */
import { base64urlDecode, base64urlEncode, hexEncode } from './encoding.js';

export { base64urlEncode, hexEncode };

export const SIGNATURE_SCHEME = 'SEALPUSH-HMAC-SHA256';
/** A request is accepted while |server time - ts| <= this many seconds. */
export const SIGNATURE_WINDOW_SECONDS = 300;
/**
 * How long a claimed nonce is remembered. Twice the window, so a request can never be
 * replayed while its timestamp is still accepted, whichever way the clocks are skewed.
 */
export const NONCE_TTL_SECONDS = 2 * SIGNATURE_WINDOW_SECONDS;
/** Random bytes in a fresh nonce (the SDK's choice; the server accepts any 22..128 chars). */
export const NONCE_BYTES = 16;
/** 16 bytes in base64url: the least entropy the server accepts. */
export const NONCE_MIN_LENGTH = 22;
export const NONCE_MAX_LENGTH = 128;
/** Bytes of an app secret (handed to users as 43 characters of base64url). */
export const APP_SECRET_BYTES = 32;

/** The parameters of a parsed Authorization header; `sig` is still base64url text. */
export interface RequestAuthorization {
  readonly appId: string;
  /** Unix seconds. */
  readonly ts: number;
  readonly nonce: string;
  readonly sig: string;
}

export interface CanonicalRequestInput {
  /** Upper case, as sent (`GET`, `POST`). */
  readonly method: string;
  /** The request target as sent: path plus `?query` if any. */
  readonly pathWithQuery: string;
  readonly ts: number;
  readonly nonce: string;
  /** Lower-case hex SHA-256 of the raw body bytes. */
  readonly bodySha256Hex: string;
}

/** The exact UTF-8 text that is HMAC'd. */
export function canonicalRequest(input: CanonicalRequestInput): string {
  return [input.method, input.pathWithQuery, String(input.ts), input.nonce, input.bodySha256Hex].join('\n');
}

/** Lower-case hex SHA-256 of zero bytes: the body hash of a request without a body. */
export const EMPTY_BODY_SHA256_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const APP_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const TS = /^[0-9]{1,12}$/;
const NONCE = new RegExp(`^[A-Za-z0-9_-]{${NONCE_MIN_LENGTH},${NONCE_MAX_LENGTH}}$`);
/** base64url of a 32-byte HMAC-SHA-256 tag, unpadded. */
const SIG = /^[A-Za-z0-9_-]{43}$/;
const PARAMS = ['app', 'ts', 'nonce', 'sig'] as const;

export function formatAuthorization(auth: RequestAuthorization): string {
  return `${SIGNATURE_SCHEME} app=${auth.appId},ts=${auth.ts},nonce=${auth.nonce},sig=${auth.sig}`;
}

/**
 * Parses an Authorization header strictly: the scheme (case-insensitive, as HTTP auth schemes
 * are), then exactly the four parameters, each once, in any order, separated by commas
 * (optional spaces after a comma). Returns undefined for anything else, which the server
 * answers with ERR_AUTH_MISSING.
 */
export function parseAuthorization(header: string | undefined): RequestAuthorization | undefined {
  if (header === undefined || header.length > 1024) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toUpperCase() !== SIGNATURE_SCHEME) return undefined;
  const values = new Map<string, string>();
  for (const part of header.slice(space + 1).trim().split(/, */)) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const name = part.slice(0, eq);
    if (!(PARAMS as readonly string[]).includes(name) || values.has(name)) return undefined;
    values.set(name, part.slice(eq + 1));
  }
  const appId = values.get('app');
  const ts = values.get('ts');
  const nonce = values.get('nonce');
  const sig = values.get('sig');
  if (appId === undefined || !APP_ID.test(appId)) return undefined;
  if (ts === undefined || !TS.test(ts)) return undefined;
  if (nonce === undefined || !NONCE.test(nonce)) return undefined;
  if (sig === undefined || !SIG.test(sig)) return undefined;
  return { appId, ts: Number(ts), nonce, sig };
}

/**
 * Decodes an app secret as handed to users (base64url, no padding) into the HMAC key bytes.
 * Throws a TypeError unless it is exactly APP_SECRET_BYTES bytes of canonical base64url.
 */
export function decodeAppSecret(secret: string): Uint8Array {
  const bytes = base64urlDecode(secret);
  if (bytes.length !== APP_SECRET_BYTES) {
    throw new TypeError(`an app secret is ${APP_SECRET_BYTES} bytes of base64url (${Math.ceil((APP_SECRET_BYTES * 4) / 3)} characters)`);
  }
  return bytes;
}
