/**
 * Request authentication for `/v1` (scheme in crypto/request-signature.ts). Two steps, so that
 * no body is read for a request without credentials and no body error is reported before the
 * caller is known:
 *
 *   onRequest      header shape                                   -> ERR_AUTH_MISSING
 *   preValidation  app known, signature (constant time)           -> ERR_AUTH_SIGNATURE
 *                  |now - ts| <= SIGNATURE_WINDOW_SECONDS         -> ERR_AUTH_EXPIRED
 *                  NonceCache.claim(appId:nonce, NONCE_TTL)       -> ERR_AUTH_REPLAY
 *                  (a claim that cannot be answered: 503          -> ERR_UNAVAILABLE)
 *                  (the app's share of the cache is full: 429     -> ERR_RATE_LIMITED)
 *                  then the raw body is parsed as JSON            -> ERR_BAD_REQUEST
 *
 * Each refusal's message says what to fix (auth-messages.ts).
 *
 * An unknown app fails exactly like a wrong signature (and costs the same HMAC), so app ids
 * do not leak. The nonce is claimed last: a request that fails any other check burns nothing.
 *
 * The second scheme, `Authorization: Bearer <JWT>` (verifyBearer), is checked at the same
 * step: key by issuer and kid, signature, iat/exp, the token's binding to this sealpush and
 * this request (aud, htm, htu, bh: crypto/bearer-binding.ts), then the jti claimed once.
 * Both schemes see the request alike (boundRequest): the method, the target as received and
 * SHA-256 of the raw body bytes.
 */
import { createHash, createHmac } from 'node:crypto';
import { bytesEqual } from '../../domain/bytes.js';
import type { FastifyRequest } from 'fastify';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { SealPushError, isSealPushError } from '../../domain/errors.js';
import type { AuthFailure } from '../../domain/audit.js';
import type { NonceCache } from '../../domain/ports/nonce-cache.js';
import type { AppSecrets } from '../../domain/ports/push-api.js';
import type { Clock } from '../../domain/ports/runtime.js';
import { checkBearerBinding, DEFAULT_JWT_AUDIENCE, type BoundRequest } from '../../crypto/bearer-binding.js';
import type { FailedAuthLimit } from '../../domain/usecases/failed-auth-limit.js';
import { bearerMismatch, bearerOutsideLifetime, malformedHeader, nonceReused, signatureMismatch, timestampOutsideWindow } from './auth-messages.js';
import {
  NONCE_TTL_SECONDS,
  SIGNATURE_WINDOW_SECONDS,
  canonicalRequest,
  parseAuthorization,
  type RequestAuthorization,
} from '../../crypto/request-signature.js';

export interface AuthDeps {
  readonly secrets: AppSecrets;
  readonly nonces: NonceCache;
  readonly clock: Clock;
  /** The `aud` a bearer token must name (config `jwtAudience`). Default DEFAULT_JWT_AUDIENCE. */
  readonly jwtAudience?: string;
}

/** The key verified against for an unknown app, so that its failure costs as much as a real one. */
const DECOY_KEY = new Uint8Array(32);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export class RequestAuthenticator {
  /** App id of each request that passed `verify`; the routes read it with `appIdOf`. */
  private readonly verified = new WeakMap<FastifyRequest, string>();

  constructor(private readonly deps: AuthDeps) {}

  /** onRequest hook: refuses a missing or malformed Authorization header before any body is read. */
  readonly checkHeader = async (request: FastifyRequest): Promise<void> => {
    if (bearerToken(request.headers.authorization) !== undefined) return;
    if (parseAuthorization(request.headers.authorization) === undefined) throw malformedHeader(request.headers.authorization);
  };

  /**
   * preValidation hook: verifies the request against its raw body (a Buffer left by the
   * content-type parser, or undefined without a body), then replaces the body by its parsed
   * JSON so that schema validation sees the value.
   */
  readonly verify = async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    const raw = request.body instanceof Uint8Array ? request.body : undefined;
    if (token !== undefined) {
      const appId = await this.verifyBearer(token, boundRequest(request, raw));
      this.verified.set(request, appId);
      if (raw !== undefined) request.body = parseJsonBody(raw);
      return;
    }
    const auth = parseAuthorization(request.headers.authorization);
    if (auth === undefined) throw malformedHeader(request.headers.authorization);
    const secrets = await this.deps.secrets.secretsFor(auth.appId);
    const signedText = canonicalTextOf(auth, boundRequest(request, raw));
    // Each candidate is checked (no early exit): two during a secret rotation's overlap.
    const matches = (secrets.length > 0 ? secrets : [DECOY_KEY]).map((key) => signatureMatches(auth.sig, key, signedText));
    if (secrets.length === 0 || !matches.includes(true)) throw signatureMismatch(signedText);
    const nowSeconds = Math.floor(this.deps.clock.now() / 1000);
    if (Math.abs(nowSeconds - auth.ts) > SIGNATURE_WINDOW_SECONDS) throw timestampOutsideWindow(nowSeconds, auth.ts);
    if (!(await this.claim(`${auth.appId}:${auth.nonce}`, NONCE_TTL_SECONDS, auth.appId, auth.ts * 1000))) throw nonceReused('nonce');
    this.verified.set(request, auth.appId);
    if (raw !== undefined) request.body = parseJsonBody(raw);
  };

  /**
   * `Authorization: Bearer <JWT>`: EdDSA, ES256 or HS256, the key found by the token's issuer
   * AND key id; `iat`, `exp` (at most JWT_MAX_LIFETIME_SECONDS after iat) and `jti` required;
   * `aud`, `htm`, `htu` and `bh` must bind it to this sealpush and `request`; the jti is claimed
   * once, last (a replay is ERR_AUTH_REPLAY). Returns the key's app.
   */
  private async verifyBearer(token: string, request: BoundRequest): Promise<string> {
    let header: { kid?: unknown; alg?: unknown };
    let claims: { iss?: unknown };
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      throw new SealPushError('ERR_AUTH_MISSING', 'The bearer token is not a JWT');
    }
    const { kid } = header;
    const { iss } = claims;
    const key = typeof kid === 'string' && typeof iss === 'string' ? await this.deps.secrets.jwtKeyFor?.(iss, kid) : undefined;
    if (!key || header.alg !== key.alg) throw bearerMismatch();
    const verifyWith = key.secret ?? (await importJWK(key.publicJwk!, key.alg));
    let payload;
    try {
      ({ payload } = await jwtVerify(token, verifyWith, {
        algorithms: [key.alg],
        issuer: iss as string,
        requiredClaims: ['iat', 'exp', 'jti'],
        currentDate: new Date(this.deps.clock.now()),
        clockTolerance: 5,
      }));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED' || (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && /iat|nbf/.test(String((err as { claim?: string }).claim)))) {
        throw bearerOutsideLifetime(Math.floor(this.deps.clock.now() / 1000));
      }
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') throw new SealPushError('ERR_AUTH_MISSING', 'The bearer token lacks iat, exp or jti');
      throw bearerMismatch();
    }
    const { iat, exp, jti } = payload as { iat: number; exp: number; jti: unknown };
    const nowSeconds = Math.floor(this.deps.clock.now() / 1000);
    // Issued in the future, a token would outlive its 300 s (and its jti's memory) by that much.
    if (iat > nowSeconds + 5) throw new SealPushError('ERR_AUTH_EXPIRED', 'The bearer token is issued in the future');
    if (exp - iat > JWT_MAX_LIFETIME_SECONDS) {
      throw new SealPushError('ERR_AUTH_EXPIRED', `A bearer token may live at most ${JWT_MAX_LIFETIME_SECONDS} s (exp - iat)`);
    }
    if (typeof jti !== 'string' || jti.length < 1 || jti.length > 255) throw new SealPushError('ERR_AUTH_MISSING', 'The bearer token needs a jti');
    checkBearerBinding(payload, request, this.deps.jwtAudience ?? DEFAULT_JWT_AUDIENCE);
    const ttl = Math.max(1, exp - nowSeconds) + 5;
    if (!(await this.claim(`jwt:${iss as string}:${jti}`, ttl, key.appId, iat * 1000))) throw nonceReused('jti');
    return key.appId;
  }

  /**
   * Claims a nonce or jti. A claim that rejects (the shared cache is down or slow) is never a
   * pass and never a replay: the request is refused with ERR_UNAVAILABLE (503, Retry-After),
   * having changed nothing, and may be sent again with the same nonce. An app whose share of
   * the cache is full gets ERR_RATE_LIMITED (429, Retry-After) the same way.
   */
  private async claim(key: string, ttlSeconds: number, appId: string, issuedAtMs: number): Promise<boolean> {
    try {
      return await this.deps.nonces.claim(key, ttlSeconds, appId, issuedAtMs);
    } catch (err) {
      if (isSealPushError(err) && (err.code === 'ERR_UNAVAILABLE' || err.code === 'ERR_RATE_LIMITED')) throw err;
      throw new SealPushError('ERR_UNAVAILABLE', 'The replay cache could not be reached; nothing was accepted');
    }
  }

  /**
   * Wraps an auth hook so that each request it refuses (an ERR_AUTH_* code, or ERR_RATE_LIMITED
   * from `failures.check`) is reported to `onFailure` with who it claimed to be: never its
   * signature, token or body. Each ERR_AUTH_* refusal also spends its address's `failures`.
   */
  static audited(hook: (request: FastifyRequest) => Promise<void>, onFailure: (failure: AuthFailure) => void, failures?: FailedAuthLimit) {
    return async (request: FastifyRequest): Promise<void> => {
      try {
        await hook(request);
      } catch (err) {
        if (isSealPushError(err) && (err.code.startsWith('ERR_AUTH_') || err.code === 'ERR_RATE_LIMITED')) {
          onFailure({ ...claimOf(request.headers.authorization), code: err.code, remote: request.ip });
          if (err.code !== 'ERR_RATE_LIMITED') await failures?.failed(request.ip);
        }
        throw err;
      }
    };
  }

  /** The authenticated app of a request; ERR_INTERNAL if a route forgot the auth hooks. */
  appIdOf(request: FastifyRequest): string {
    const appId = this.verified.get(request);
    if (appId === undefined) throw new Error('route served without request authentication');
    return appId;
  }
}

/** The request as both schemes check it: method, target as received, SHA-256 of the raw body (base64url). */
function boundRequest(request: FastifyRequest, body: Uint8Array | undefined): BoundRequest {
  const bodySha256 = createHash('sha256').update(body ?? new Uint8Array(0)).digest('base64url');
  return { method: request.method, target: request.raw.url ?? request.url, bodySha256 };
}

/** The canonical string of the HMAC scheme for the request as received. */
function canonicalTextOf(auth: RequestAuthorization, request: BoundRequest): string {
  const bodySha256Hex = Buffer.from(request.bodySha256, 'base64url').toString('hex');
  return canonicalRequest({ method: request.method, pathWithQuery: request.target, ts: auth.ts, nonce: auth.nonce, bodySha256Hex });
}

function signatureMatches(sig: string, key: Uint8Array, text: string): boolean {
  const expected = Buffer.from(createHmac('sha256', key).update(text, 'utf8').digest('base64url'), 'ascii');
  // Both are 43 ASCII characters (parseAuthorization checked the shape of `sig`).
  const given = Buffer.from(sig, 'ascii');
  return bytesEqual(expected, given);
}

/** A bearer token may live this long at most (exp - iat), so that its jti is remembered for as long. */
export const JWT_MAX_LIFETIME_SECONDS = 300;

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || !header.startsWith('Bearer ')) return undefined;
  const token = header.slice(7).trim();
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) ? token : undefined;
}

/** Who a request claims to be: the HMAC scheme's app id, or a bearer token's issuer (unverified). */
function claimOf(header: string | undefined): Pick<AuthFailure, 'scheme' | 'appId' | 'issuer'> {
  const token = bearerToken(header);
  if (token !== undefined) {
    try {
      const { iss } = decodeJwt(token);
      return typeof iss === 'string' ? { scheme: 'bearer', issuer: iss } : { scheme: 'bearer' };
    } catch {
      return { scheme: 'bearer' };
    }
  }
  const auth = parseAuthorization(header);
  return auth === undefined ? { scheme: 'none' } : { scheme: 'hmac', appId: auth.appId };
}

function parseJsonBody(raw: Uint8Array): unknown {
  try {
    return JSON.parse(strictUtf8.decode(raw)) as unknown;
  } catch {
    throw new SealPushError('ERR_BAD_REQUEST', 'The body is not valid JSON (UTF-8)');
  }
}
