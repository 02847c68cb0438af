/**
 * Operator credentials for `/v1/admin` (docs/api.md): `sp_admin_<id>_<secret>`, the id 12
 * random bytes and the secret 32, both base64url. The store keeps SHA-256 of the secret
 * only: a 256-bit random secret needs no slow hash, and the token itself is never stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { bytesEqual } from '../../domain/bytes.js';

const PREFIX = 'sp_admin_';
const TOKEN_SHAPE = /^sp_admin_([A-Za-z0-9-]{16})_([A-Za-z0-9_-]{43})$/;

export interface NewAdminToken {
  readonly id: string;
  /** Shown once to the operator; never stored or logged. */
  readonly token: string;
  readonly tokenHash: Uint8Array;
}

export function newAdminToken(): NewAdminToken {
  const id = newAdminTokenId();
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${PREFIX}${id}_${secret}`, tokenHash: adminSecretHash(secret) };
}

/**
 * 16 characters of base64url with '_' mapped to '-', so the token splits unambiguously; never
 * starting with '-', which `sealpush admin revoke ID` would read as an option (drawn again:
 * 1 in 64).
 */
function newAdminTokenId(): string {
  for (;;) {
    const id = randomBytes(12).toString('base64url').replaceAll('_', '-');
    if (!id.startsWith('-')) return id;
  }
}

/** The id and secret of a token of the right shape; undefined for anything else. */
export function parseAdminToken(token: string): { readonly id: string; readonly secret: string } | undefined {
  const match = TOKEN_SHAPE.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export function adminSecretHash(secret: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(secret, 'ascii').digest());
}

/** Constant-time comparison of the secret's hash with the stored one. */
export function adminSecretMatches(secret: string, storedHash: Uint8Array): boolean {
  const given = adminSecretHash(secret);
  return bytesEqual(given, storedHash);
}
