import type { AuditCheckpoint, AuditEvent, AuditHead, AuditRecord } from '../audit.js';

/**
 * The tamper-evident audit log (docs/audit.md): one hash chain per database and its signed
 * checkpoints.
 *
 * Contract for every driver (test/conformance/audit-log.suite.ts): records are appended in
 * the same transaction as the writes they describe, so both land or neither does:
 * - MessageLog.commit appends, in this order: one 'publish' record per app of the messages it
 *   inserted (in batch order), one 'deliver' record of its delivered marks, one 'ack' record
 *   of its acked marks (indexed for findAckRecord), then `batch.audit`, each as one record;
 * - MessageLog.expireMessages appends one 'expire' record of the messages it expired.
 * Seqs start at 1 and increase by 1; each record's prevHash is its predecessor's hash (the
 * genesis hash for seq 1). Appends are serialized by the chain head, read for update in the
 * appending transaction.
 */
export interface AuditLog {
  /** Appends each event as one record (in one transaction), all at time `at`. */
  appendAudit(events: readonly AuditEvent[], at: number): Promise<void>;
  auditHead(): Promise<AuditHead>;
  /** Up to `limit` records with seq > afterSeq, in seq order: verification pages through these. */
  auditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** The 'ack' record holding the first ack of `clientId` that covers `seq`, if any. */
  findAckRecord(clientId: string, seq: number): Promise<AuditRecord | undefined>;
  /** Stores a signed checkpoint; false (nothing written) when one for that seq exists. */
  addAuditCheckpoint(checkpoint: AuditCheckpoint): Promise<boolean>;
  /** Up to `limit` checkpoints with seq > afterSeq, in seq order. */
  auditCheckpoints(afterSeq: number, limit: number): Promise<AuditCheckpoint[]>;
  latestAuditCheckpoint(): Promise<AuditCheckpoint | undefined>;
}
