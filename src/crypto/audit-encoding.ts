/**
 * The canonical bytes of an audit record (what its SHA-256 covers) and of a checkpoint (what
 * its Ed25519 signature covers); docs/audit.md. Every field is fixed-size or length-prefixed,
 * big-endian, after a domain-separating tag, so that no two records share an encoding.
 * Browser-safe, so that anyone can re-check an export with the same code.
 */
import type { AuditCheckpoint, AuditRecord } from '../domain/audit.js';
import { concatBytes, utf8Encode, writeU64 } from './encoding.js';

const RECORD_TAG = 'sealpush-audit-record-v1';
const CHECKPOINT_TAG = 'sealpush-audit-checkpoint-v1';

/**
 *   u32 len || "sealpush-audit-record-v1" || u64 seq || u64 at (ms since the epoch)
 *   || u32 len || kind (UTF-8) || u32 len || fields (UTF-8) || prevHash (32 bytes)
 */
export function auditRecordBytes(record: Omit<AuditRecord, 'hash'>): Uint8Array {
  if (record.prevHash.byteLength !== 32) throw new RangeError('an audit prevHash is 32 bytes');
  return concatBytes(text(RECORD_TAG), u64(record.seq), u64(record.at), text(record.kind), text(record.fields), record.prevHash);
}

/**
 *   u32 len || "sealpush-audit-checkpoint-v1" || u64 seq || headHash (32 bytes) || u64 at
 *   || u32 keyVersion
 */
export function auditCheckpointBytes(checkpoint: Omit<AuditCheckpoint, 'signature'>): Uint8Array {
  if (checkpoint.headHash.byteLength !== 32) throw new RangeError('an audit head hash is 32 bytes');
  return concatBytes(text(CHECKPOINT_TAG), u64(checkpoint.seq), checkpoint.headHash, u64(checkpoint.at), u32(checkpoint.keyVersion));
}

function text(s: string): Uint8Array {
  const bytes = utf8Encode(s);
  return concatBytes(u32(bytes.byteLength), bytes);
}

function u32(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`not a u32: ${String(n)}`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  writeU64(out, 0, n);
  return out;
}
