/**
 * What a refused request is told: each ERR_AUTH_* message names the part at fault and what to
 * do, so that a caller signing by hand (curl, Python) can fix it without reading the server.
 * A message carries only what the caller sent or may know (the server's clock, the string it
 * signed over); never a secret, never the expected signature, and the same words for an
 * unknown app as for a wrong secret, so that app ids do not leak.
 */
import { SealPushError } from '../../domain/errors.js';
import { APP_SECRET_BYTES, SIGNATURE_SCHEME, SIGNATURE_WINDOW_SECONDS, readAuthorization } from '../../crypto/request-signature.js';

const ADMIN_TOKEN_PREFIX = 'sp_admin_';

/** ERR_AUTH_MISSING naming the fault of a header that is neither a bearer JWT nor a well-formed signed header. */
export function malformedHeader(header: string | undefined): SealPushError {
  if (header !== undefined && /^bearer /i.test(header)) {
    const token = header.slice(7).trim();
    const message = token.startsWith(ADMIN_TOKEN_PREFIX)
      ? 'An admin token is a credential for /v1/admin only: sign app requests with the app secret or a JWT'
      : 'The bearer token is not a compact JWT (three base64url parts joined by dots)';
    return new SealPushError('ERR_AUTH_MISSING', message);
  }
  const read = readAuthorization(header);
  return new SealPushError('ERR_AUTH_MISSING', 'problem' in read ? read.problem : undefined);
}

/**
 * ERR_AUTH_SIGNATURE with what the signature covers: `signedText` is the canonical string as
 * this server built it from the request it received, so the caller can compare it with theirs.
 */
export function signatureMismatch(signedText: string): SealPushError {
  return new SealPushError(
    'ERR_AUTH_SIGNATURE',
    'The request signature does not verify (or the app is unknown). ' +
      `\`sig\` is base64url(HMAC-SHA-256(key, text)), the key being the ${APP_SECRET_BYTES} bytes the app secret decodes to ` +
      '(base64url-decode it; not its text) and the text, as this server received the request: ' +
      `${JSON.stringify(signedText)} (method, path with query as sent, ts, nonce, hex SHA-256 of the body bytes; ` +
      'joined by \\n, no trailing newline). Check the app id and secret too.',
  );
}

/** ERR_AUTH_EXPIRED giving the server's time and how far `ts` is from it. */
export function timestampOutsideWindow(nowSeconds: number, ts: number): SealPushError {
  const skew = ts - nowSeconds;
  const direction = skew < 0 ? 'behind' : 'ahead';
  return new SealPushError(
    'ERR_AUTH_EXPIRED',
    `The request timestamp is outside the accepted window: server time ${isoSeconds(nowSeconds)} (${nowSeconds}), ` +
      `your \`ts\` ${ts} is ${Math.abs(skew)} s ${direction}; allowed ±${SIGNATURE_WINDOW_SECONDS} s. ` +
      'Synchronise your clock (NTP) and sign the request again with the current time.',
  );
}

/** ERR_AUTH_SIGNATURE for a bearer token; the same words whether its key is unknown or its signature wrong. */
export function bearerMismatch(): SealPushError {
  return new SealPushError(
    'ERR_AUTH_SIGNATURE',
    'The bearer token does not verify: no key is registered (`sealpush apps jwt-key`) for its `iss` and `kid` with its `alg`, or its signature is wrong',
  );
}

/** ERR_AUTH_EXPIRED for a bearer token past its `exp` or before its `iat`/`nbf`, with the server's time. */
export function bearerOutsideLifetime(nowSeconds: number): SealPushError {
  return new SealPushError(
    'ERR_AUTH_EXPIRED',
    `The bearer token is expired or not yet valid at server time ${isoSeconds(nowSeconds)} (${nowSeconds}): mint a token per request, with iat now`,
  );
}

/** ERR_AUTH_REPLAY: the nonce (or a bearer token's jti) was seen before. */
export function nonceReused(what: 'nonce' | 'jti'): SealPushError {
  const fix = what === 'nonce' ? `a fresh random nonce (a new ${SIGNATURE_SCHEME} header)` : 'a new token with a fresh jti';
  return new SealPushError('ERR_AUTH_REPLAY', `This ${what} was already used: sign every request, retries included, with ${fix}`);
}

/** 2026-12-04T18:00:00Z: the server's clock to the second. */
function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
