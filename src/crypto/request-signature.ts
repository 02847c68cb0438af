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
const MAX_HEADER_LENGTH = 1024;
/** Each parameter's shape, and what to tell a caller whose value does not have it. */
const PARAM_RULES: readonly { name: (typeof PARAMS)[number]; shape: RegExp; must: string }[] = [
  { name: 'app', shape: APP_ID, must: 'an app id (1-128 characters of A-Z a-z 0-9 _ . -)' },
  { name: 'ts', shape: TS, must: 'the time in whole Unix seconds (digits only, no milliseconds)' },
  {
    name: 'nonce',
    shape: NONCE,
    must: `${NONCE_MIN_LENGTH}-${NONCE_MAX_LENGTH} base64url characters (A-Z a-z 0-9 - _): use ${NONCE_BYTES} fresh random bytes each request`,
  },
  { name: 'sig', shape: SIG, must: '43 base64url characters: HMAC-SHA-256 in base64url without `=` padding (`-` and `_`, not `+` and `/`)' },
];

export function formatAuthorization(auth: RequestAuthorization): string {
  return `${SIGNATURE_SCHEME} app=${auth.appId},ts=${auth.ts},nonce=${auth.nonce},sig=${auth.sig}`;
}

/**
 * Parses an Authorization header strictly: the scheme (case-insensitive, as HTTP auth schemes
 * are), then exactly the four parameters, each once, in any order, separated by commas
 * (optional spaces after a comma). Returns undefined for anything else, which the server
 * answers with ERR_AUTH_MISSING (the message from `readAuthorization`).
 */
export function parseAuthorization(header: string | undefined): RequestAuthorization | undefined {
  const read = readAuthorization(header);
  return 'auth' in read ? read.auth : undefined;
}

/**
 * The header parsed, or what is wrong with it: the first fault found, naming the part at
 * fault and what it must be. A problem never quotes the header's values (a caller may have
 * pasted its secret there); it names a parameter only when the name is one of the four.
 */
export function readAuthorization(header: string | undefined): { readonly auth: RequestAuthorization } | { readonly problem: string } {
  const fail = (problem: string) => ({ problem });
  if (header === undefined || header.trim() === '') {
    return fail(`No Authorization header: sign the request (\`${SIGNATURE_SCHEME} app=...,ts=...,nonce=...,sig=...\`) or send \`Bearer <JWT>\``);
  }
  if (header.length > MAX_HEADER_LENGTH) return fail(`The Authorization header is longer than ${MAX_HEADER_LENGTH} characters`);
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toUpperCase() !== SIGNATURE_SCHEME) {
    return fail(`The Authorization header does not start with \`${SIGNATURE_SCHEME} \` (or \`Bearer \` and a JWT)`);
  }
  const values = new Map<string, string>();
  for (const part of header.slice(space + 1).trim().split(/, */)) {
    const eq = part.indexOf('=');
    const name = part.slice(0, Math.max(0, eq));
    if (eq < 0 || !(PARAMS as readonly string[]).includes(name)) {
      return fail(`The Authorization header has a part other than ${PARAMS.map((p) => `\`${p}=\``).join(', ')} (comma-separated, each once)`);
    }
    if (values.has(name)) return fail(`The Authorization header gives the \`${name}\` parameter twice`);
    values.set(name, part.slice(eq + 1));
  }
  for (const { name, shape, must } of PARAM_RULES) {
    const value = values.get(name);
    if (value === undefined) return fail(`The Authorization header lacks the \`${name}\` parameter`);
    if (!shape.test(value)) return fail(`The \`${name}\` parameter is not ${must}`);
  }
  return { auth: { appId: values.get('app')!, ts: Number(values.get('ts')), nonce: values.get('nonce')!, sig: values.get('sig')! } };
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
