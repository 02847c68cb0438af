/** The server's Noise identity: loaded (created on first use), listed and rotated, stored wrapped by the KMS. */
import { base64urlEncode } from '../crypto/encoding.js';
import { fingerprint, generateStaticKeyPair } from '../crypto/node/keys.js';
import { IDENTITY_PURPOSE, rotateServerIdentity, type RotatedIdentity } from '../domain/usecases/server-identity.js';
import { loadOrCreateServerKey, type KeyMaterial } from '../domain/usecases/server-keys.js';
import type { Core } from './core.js';

export interface ServerIdentity {
  readonly publicKey: string;
  readonly fingerprint: string;
}

function generateIdentity(): KeyMaterial {
  const pair = generateStaticKeyPair();
  return { publicKey: pair.publicKey, secret: pair.privateKey };
}

function identityOf(publicKey: Uint8Array): ServerIdentity {
  return { publicKey: base64urlEncode(publicKey), fingerprint: fingerprint(publicKey) };
}

/** The server's Noise static key (its current version), created on first use and stored wrapped by the KMS. */
export async function loadServerIdentity(core: Core): Promise<KeyMaterial & { identity: ServerIdentity }> {
  const key = await loadOrCreateServerKey(IDENTITY_PURPOSE, { store: core.store, kms: core.kms, clock: core.clock, generate: generateIdentity });
  return { ...key, identity: identityOf(key.publicKey) };
}

/** Every stored identity version, newest first: `notAfter` on the ones a rotation replaced. */
export async function listServerIdentities(core: Core): Promise<(ServerIdentity & { version: number; notAfter?: number })[]> {
  (await loadServerIdentity(core)).secret.fill(0);
  const now = core.clock.now();
  return (await core.store.listServerKeys(IDENTITY_PURPOSE))
    .filter((key) => key.notAfter === undefined || key.notAfter > now)
    .map((key) => ({ version: key.version, ...identityOf(key.publicKey), ...(key.notAfter === undefined ? {} : { notAfter: key.notAfter }) }));
}

/** `sealpush keys rotate-identity`: a new identity; the old one is accepted for `overlapMs` more. */
export async function rotateIdentity(core: Core, overlapMs: number): Promise<RotatedIdentity & { identity: ServerIdentity }> {
  const rotated = await rotateServerIdentity({ store: core.store, kms: core.kms, clock: core.clock, generate: generateIdentity }, overlapMs);
  return { ...rotated, identity: identityOf(rotated.publicKey) };
}
