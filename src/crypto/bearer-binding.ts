/**
 * What a bearer token (`Authorization: Bearer <JWT>`) binds itself to, so that a captured token
 * is good for nothing but the one request it was made for (docs/api.md "Bearer tokens"). The
 * pure parts shared by the server (transport/http/auth.ts) and the back-end SDK (app/bearer.ts);
 * runtime-free like request-signature.ts: each side hashes the body with its own primitives.
 *
 *   aud  this sealpush: the configured audience (`jwtAudience`, default "sealpush"), or an
 *        array that contains it
 *   htm  the request's method, as sent (`POST`)
 *   htu  the request target as sealpush receives it, path plus `?query` (`/v1/messages`), or an
 *        absolute http(s) URL whose path plus query is exactly that (its origin is not compared:
 *        a TLS-terminating proxy changes it, and `aud` already names the deployment)
 *   bh   base64url (no padding) of SHA-256 over the exact body bytes; a request without a body
 *        hashes the empty string (EMPTY_BODY_SHA256_B64URL)
 */
import { SealPushError } from '../domain/errors.js';

/** The audience a sealpush expects when `jwtAudience` is not configured. */
export const DEFAULT_JWT_AUDIENCE = 'sealpush';

/** base64url SHA-256 of zero bytes: the `bh` of a request without a body. */
export const EMPTY_BODY_SHA256_B64URL = '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU';

/** The request a token is checked against, as the server received it. */
export interface BoundRequest {
  /** As received (`GET`, `POST`, `DELETE`). */
  readonly method: string;
  /** The request target as received: path plus `?query` if any, percent-encoding as on the wire. */
  readonly target: string;
  /** base64url (no padding) SHA-256 of the raw body bytes (of zero bytes without a body). */
  readonly bodySha256: string;
}

/** The binding claims a token for `request` carries, besides iss, iat, exp and jti. */
export interface BearerBindingClaims {
  readonly aud: string;
  readonly htm: string;
  readonly htu: string;
  readonly bh: string;
}

/**
 * Refuses a verified token's claims unless they bind it to this sealpush and this request:
 * a missing (or non-string) claim is ERR_AUTH_MISSING, one that names another audience,
 * method, target or body is ERR_AUTH_SIGNATURE; the message names the claim.
 */
export function checkBearerBinding(claims: Readonly<Record<string, unknown>>, request: BoundRequest, audience: string): void {
  const { aud } = claims;
  if (aud === undefined) throw missing('aud', `naming this sealpush ("${audience}")`);
  const audiences: unknown[] = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(audience)) {
    throw new SealPushError('ERR_AUTH_SIGNATURE', `The bearer token's aud does not name this sealpush ("${audience}")`);
  }
  const htm = stringClaim(claims, 'htm', 'the request method');
  if (htm !== request.method) throw mismatch('htm', 'method');
  const htu = stringClaim(claims, 'htu', 'the request target');
  if (!targetMatches(htu, request.target)) throw mismatch('htu', 'target (path and query as sealpush receives them)');
  const bh = stringClaim(claims, 'bh', 'the body hash');
  if (bh !== request.bodySha256) throw mismatch('bh', 'body (base64url SHA-256 of its exact bytes)');
}

/** Whether `htu` (a request target or an absolute http(s) URL) names exactly `target`. */
export function targetMatches(htu: string, target: string): boolean {
  if (htu.startsWith('/')) return htu === target;
  if (htu.includes('#')) return false;
  let url: URL;
  try {
    url = new URL(htu);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  return url.pathname + url.search === target;
}

function stringClaim(claims: Readonly<Record<string, unknown>>, name: string, what: string): string {
  const value = claims[name];
  if (typeof value !== 'string' || value === '') throw missing(name, `(${what}, a string)`);
  return value;
}

function missing(claim: string, what: string): SealPushError {
  return new SealPushError('ERR_AUTH_MISSING', `The bearer token needs ${claim} ${what}`);
}

function mismatch(claim: string, what: string): SealPushError {
  return new SealPushError('ERR_AUTH_SIGNATURE', `The bearer token's ${claim} does not match this request's ${what}`);
}
