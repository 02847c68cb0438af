// Bearer tokens for tests, built here with node:crypto and jose, independently of the server's
// check (crypto/bearer-binding.ts) and of the SDK's helper (app/bearer.ts).
import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, type CryptoKey, type JWTPayload } from 'jose';

/** One REST request as a bearer token binds it. */
export interface BearerRequestSpec {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** The request target, path plus query. */
  readonly path: string;
  /** The exact body text (JSON); none for GET and DELETE. */
  readonly body?: string;
}

/** `{ aud, htm, htu, bh }` binding a token to `request` at the server whose audience is `audience`. */
export function bindingClaims(request: BearerRequestSpec, audience = 'sealpush'): { aud: string; htm: string; htu: string; bh: string } {
  return { aud: audience, htm: request.method, htu: request.path, bh: createHash('sha256').update(request.body ?? '').digest('base64url') };
}

/** A compact JWS with a fresh jti and iat now, expiring after `lifetime` seconds; `claims` override any of them. */
export async function mintToken(key: CryptoKey | Uint8Array, alg: string, kid: string, claims: JWTPayload, lifetime = 60): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomBytes(12).toString('base64url'), iat: now, exp: now + lifetime, ...claims }).setProtectedHeader({ alg, kid }).sign(key);
}

/** Sends `request` with `Authorization: Bearer <token>`; the answer's status, error code (if any) and body. */
export async function sendBearer(baseUrl: string, token: string, request: BearerRequestSpec): Promise<{ status: number; code?: string; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: { authorization: `Bearer ${token}`, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  const body = (await response.json()) as Record<string, unknown> & { error?: { code: string } };
  return { status: response.status, ...(body.error ? { code: body.error.code } : {}), body };
}
