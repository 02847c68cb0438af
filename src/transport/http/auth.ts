/**
 * Request authentication for `/v1` (scheme in crypto/request-signature.ts). Two steps, so that
 * no body is read for a request without credentials and no body error is reported before the
 * caller is known:
 *
 *   onRequest      header shape                                   -> ERR_AUTH_MISSING
 *   preValidation  app known, signature (constant time)           -> ERR_AUTH_SIGNATURE
 *                  |now - ts| <= SIGNATURE_WINDOW_SECONDS         -> ERR_AUTH_EXPIRED
 *                  NonceCache.claim(appId:nonce, NONCE_TTL)       -> ERR_AUTH_REPLAY
 *                  then the raw body is parsed as JSON            -> ERR_BAD_REQUEST
 *
 * An unknown app fails exactly like a wrong signature (and costs the same HMAC), so app ids
 * do not leak. The nonce is claimed last: a request that fails any other check burns nothing.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SealPushError } from '../../domain/errors.js';
import type { NonceCache } from '../../domain/ports/nonce-cache.js';
import type { AppSecrets } from '../../domain/ports/push-api.js';
import type { Clock } from '../../domain/ports/runtime.js';
import {
  EMPTY_BODY_SHA256_HEX,
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
    if (parseAuthorization(request.headers.authorization) === undefined) {
      throw new SealPushError('ERR_AUTH_MISSING');
    }
  };

  /**
   * preValidation hook: verifies the request against its raw body (a Buffer left by the
   * content-type parser, or undefined without a body), then replaces the body by its parsed
   * JSON so that schema validation sees the value.
   */
  readonly verify = async (request: FastifyRequest): Promise<void> => {
    const auth = parseAuthorization(request.headers.authorization);
    if (auth === undefined) throw new SealPushError('ERR_AUTH_MISSING');
    const raw = request.body instanceof Uint8Array ? request.body : undefined;
    const secret = await this.deps.secrets.secretFor(auth.appId);
    const ok = signatureMatches(auth, secret ?? DECOY_KEY, request.method, request.raw.url ?? request.url, raw);
    if (secret === undefined || !ok) throw new SealPushError('ERR_AUTH_SIGNATURE');
    const nowSeconds = Math.floor(this.deps.clock.now() / 1000);
    if (Math.abs(nowSeconds - auth.ts) > SIGNATURE_WINDOW_SECONDS) throw new SealPushError('ERR_AUTH_EXPIRED');
    if (!(await this.deps.nonces.claim(`${auth.appId}:${auth.nonce}`, NONCE_TTL_SECONDS))) {
      throw new SealPushError('ERR_AUTH_REPLAY');
    }
    this.verified.set(request, auth.appId);
    if (raw !== undefined) request.body = parseJsonBody(raw);
  };

  /** The authenticated app of a request; ERR_INTERNAL if a route forgot the auth hooks. */
  appIdOf(request: FastifyRequest): string {
    const appId = this.verified.get(request);
    if (appId === undefined) throw new Error('route served without request authentication');
    return appId;
  }
}

function signatureMatches(
  auth: RequestAuthorization,
  key: Uint8Array,
  method: string,
  pathWithQuery: string,
  body: Uint8Array | undefined,
): boolean {
  const bodySha256Hex =
    body === undefined || body.length === 0 ? EMPTY_BODY_SHA256_HEX : createHash('sha256').update(body).digest('hex');
  const text = canonicalRequest({ method, pathWithQuery, ts: auth.ts, nonce: auth.nonce, bodySha256Hex });
  const expected = Buffer.from(createHmac('sha256', key).update(text, 'utf8').digest('base64url'), 'ascii');
  // Both are 43 ASCII characters (parseAuthorization checked the shape of `sig`).
  const given = Buffer.from(auth.sig, 'ascii');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function parseJsonBody(raw: Uint8Array): unknown {
  try {
    return JSON.parse(strictUtf8.decode(raw)) as unknown;
  } catch {
    throw new SealPushError('ERR_BAD_REQUEST', 'The body is not valid JSON (UTF-8)');
  }
}
