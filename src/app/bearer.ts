/**
 * The claims that bind a bearer token to one request (crypto/bearer-binding.ts, docs/api.md),
 * for a back end that publishes with JWTs minted by its own library and key. WebCrypto only.
 * SealPushApp's `bearerToken` option computes them for every request (bearerAuthorization);
 * by hand:
 *
 *   const body = JSON.stringify({ to, data });
 *   const claims = await bearerClaims({ method: 'POST', url: `${base}/v1/messages`, body, audience: 'https://push.example.com' });
 *   const token = await new SignJWT({ ...claims, jti: crypto.randomUUID() })
 *     .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setIssuer('billing').setIssuedAt().setExpirationTime('60s').sign(key);
 *   await fetch(`${base}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
 */
import { DEFAULT_JWT_AUDIENCE, type BearerBindingClaims } from '../crypto/bearer-binding.js';
import { base64urlEncode } from '../crypto/encoding.js';
import { SealPushError, isSealPushError, errorMessage } from '../domain/errors.js';
import type { RequestToSign } from './signing.js';

export { DEFAULT_JWT_AUDIENCE, EMPTY_BODY_SHA256_B64URL, type BearerBindingClaims } from '../crypto/bearer-binding.js';

export interface BearerRequest {
  /** The method as it will be sent (`GET`, `POST`, `DELETE`). */
  readonly method: string;
  /**
   * The absolute URL the request goes to, or its target (`/v1/messages`): `htu` is its path plus
   * query. Behind a proxy that rewrites paths, give the target sealpush receives.
   */
  readonly url: string | URL;
  /** The exact body that will be sent (text is sent as UTF-8); none for GET and DELETE. */
  readonly body?: Uint8Array | string;
  /** The server's `jwtAudience`. Default "sealpush". */
  readonly audience?: string;
}

/** `{ aud, htm, htu, bh }` for `request`: merge them into the token's payload. */
export async function bearerClaims(request: BearerRequest): Promise<BearerBindingClaims> {
  const body = typeof request.body === 'string' ? new TextEncoder().encode(request.body) : (request.body ?? new Uint8Array(0));
  const digest = await globalThis.crypto.subtle.digest('SHA-256', Uint8Array.from(body));
  return {
    aud: request.audience ?? DEFAULT_JWT_AUDIENCE,
    htm: request.method,
    htu: requestTarget(request.url),
    bh: base64urlEncode(new Uint8Array(digest)),
  };
}

/** SealPushApp's `bearerToken` mode: the Authorization header of one request, a token minted for it by `mint`. */
export function bearerAuthorization(mint: (claims: BearerBindingClaims) => Promise<string> | string, audience?: string) {
  return async (request: RequestToSign): Promise<string> => {
    const claims = await bearerClaims({ method: request.method, url: request.pathWithQuery, body: request.body, ...(audience === undefined ? {} : { audience }) });
    let token: unknown;
    try {
      token = await mint(claims);
    } catch (err) {
      if (isSealPushError(err)) throw err;
      throw new SealPushError('ERR_BAD_REQUEST', `bearerToken failed: ${errorMessage(err)}`);
    }
    if (typeof token !== 'string' || token === '') throw new SealPushError('ERR_BAD_REQUEST', 'bearerToken must return a compact JWT');
    return `Bearer ${token}`;
  };
}

function requestTarget(url: string | URL): string {
  if (typeof url === 'string' && url.startsWith('/')) return url;
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    throw new SealPushError('ERR_BAD_REQUEST', 'url must be an absolute http(s) URL or a path starting with /');
  }
}
