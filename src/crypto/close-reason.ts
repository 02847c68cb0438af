/**
 * Authenticated close reasons (docs/protocol.md section 4): a WebSocket close code is not
 * authenticated, so anyone on the path (a TLS-terminating proxy) can forge one. When the server
 * closes a session with a permanent code (4500-4999), the close reason carries a token only the
 * two ends of that session can compute:
 *
 *   reason = code || " " || base64url(token)
 *   token  = HMAC-SHA-256(sessionSecret, "sealpush close v2" || u16 closeCode || code)[0..16]
 *
 * where `sessionSecret` is the session's third Split output (hello.ts), `code` the catalogue
 * code in ASCII. A token is bound to one session and one code, so it can be neither replayed
 * on another connection nor moved to another code. Browser-safe: the HMAC is the caller's
 * (node:crypto on the server, WebCrypto in the SDK).
 */

import { ERROR_CATALOGUE, type ErrorCode } from '../domain/errors.js';
import { base64urlDecode, base64urlEncode, bytesEqual, concatBytes, utf8Encode } from './encoding.js';
import type { NoiseCrypto } from './noise/primitives.js';

export const CLOSE_TOKEN_LABEL = 'sealpush close v2';
/** Truncated HMAC: 128 bits, one try per session. */
export const CLOSE_TOKEN_BYTES = 16;

/** The bytes the token authenticates. */
export function closeTokenInput(code: ErrorCode): Uint8Array {
  const closeCode = ERROR_CATALOGUE[code].ws;
  return concatBytes(utf8Encode(CLOSE_TOKEN_LABEL), Uint8Array.of(closeCode >>> 8, closeCode & 0xff), utf8Encode(code));
}

/** The close reason of an authenticated close (well under the 123 bytes a close frame allows). */
export function formatCloseReason(code: ErrorCode, token: Uint8Array): string {
  return `${code} ${base64urlEncode(token.subarray(0, CLOSE_TOKEN_BYTES))}`;
}

/**
 * Reads `reason` as sent with `closeCode`: the code and token it claims, when it has that
 * shape and the code's catalogue close code is `closeCode`; otherwise null (unauthenticated).
 */
export function parseCloseReason(closeCode: number, reason: string): { code: ErrorCode; token: Uint8Array } | null {
  const match = /^(ERR_[A-Z_]+) ([A-Za-z0-9_-]{22})$/.exec(reason);
  if (!match) return null;
  const code = match[1] as ErrorCode;
  if (!Object.hasOwn(ERROR_CATALOGUE, code) || ERROR_CATALOGUE[code].ws !== closeCode) return null;
  return { code, token: base64urlDecode(match[2]!) };
}

/** Compares a received token with the expected HMAC's first CLOSE_TOKEN_BYTES, in constant time (bytesEqual). */
export function sameToken(expected: Uint8Array, received: Uint8Array): boolean {
  if (received.length !== CLOSE_TOKEN_BYTES || expected.length < CLOSE_TOKEN_BYTES) return false;
  return bytesEqual(expected.subarray(0, CLOSE_TOKEN_BYTES), received);
}

/**
 * The catalogue code `reason` names when its token verifies under this session's secret; null
 * when the reason carries no token, a malformed one, or one that does not verify.
 */
export async function authenticatedCloseCode(
  crypto: Pick<NoiseCrypto, 'hmac'>,
  sessionSecret: Uint8Array,
  closeCode: number,
  reason: string,
): Promise<ErrorCode | null> {
  const claimed = parseCloseReason(closeCode, reason);
  if (claimed === null) return null;
  return sameToken(await crypto.hmac(sessionSecret, closeTokenInput(claimed.code)), claimed.token) ? claimed.code : null;
}
