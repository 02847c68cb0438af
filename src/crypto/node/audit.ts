/**
 * The audit log's primitives on node:crypto: SHA-256 of a record's canonical bytes (the
 * chain) and Ed25519 over a checkpoint's (the signed heads). Keys travel as 32 raw bytes:
 * the public key as is, the private key as its seed.
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { AuditCheckpoint, AuditRecord } from '../../domain/audit.js';
import { auditCheckpointBytes, auditRecordBytes } from '../audit-encoding.js';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function auditRecordHash(record: Omit<AuditRecord, 'hash'>): Uint8Array {
  return createHash('sha256').update(auditRecordBytes(record)).digest();
}

/** A random seed, not generateKeyPairSync: exporting a key it made can deadlock Node 20 (keys.ts). */
export function generateAuditKeyPair(): { publicKey: Uint8Array; secret: Uint8Array } {
  const secret = randomBytes(32);
  return { publicKey: auditPublicKeyFromSecret(secret), secret };
}

function privateKeyOf(seed: Uint8Array): KeyObject {
  if (seed.byteLength !== 32) throw new RangeError('an Ed25519 private key is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function publicKeyOf(raw: Uint8Array): KeyObject {
  if (raw.byteLength !== 32) throw new RangeError('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/**
 * The public key of a private key (its 32-byte seed): how verification anchors the audit key in
 * the KMS-held secret instead of trusting the public key stored beside it (docs/audit.md).
 */
export function auditPublicKeyFromSecret(seed: Uint8Array): Uint8Array {
  return Buffer.from(createPublicKey(privateKeyOf(seed)).export({ format: 'jwk' }).x!, 'base64url');
}

/** Signs checkpoints with one key; the KeyObject is built once. */
export function auditSigner(seed: Uint8Array): (checkpoint: Omit<AuditCheckpoint, 'signature'>) => Uint8Array {
  const key = privateKeyOf(seed);
  return (checkpoint) => sign(null, auditCheckpointBytes(checkpoint), key);
}

/** Whether `checkpoint.signature` verifies under the raw public key; false for any malformed input. */
export function auditCheckpointVerifier(publicKey: Uint8Array): (checkpoint: AuditCheckpoint) => boolean {
  const key = publicKeyOf(publicKey);
  return (checkpoint) => {
    try {
      return verify(null, auditCheckpointBytes(checkpoint), key, checkpoint.signature);
    } catch {
      return false;
    }
  };
}
