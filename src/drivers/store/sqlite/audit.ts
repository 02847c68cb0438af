/**
 * AuditLog on SQLite (ports/audit-log.ts): the hash chain in audit_log with its head in
 * audit_head, the ACK index (audit_acks) behind findAckRecord, and the signed checkpoints.
 *
 * The chain is appended to from three places: appendAudit, a group commit (commit.ts) and
 * expiry (messages.ts). Each appends inside its own write transaction, so reading the head
 * and writing it back cannot interleave with another append (SQLite's write transaction
 * already serializes what a server database does with SELECT ... FOR UPDATE).
 */
import type Database from 'better-sqlite3';
import type { AuditLog } from '../../../domain/ports/audit-log.js';
import type { AuditEvent } from '../../../domain/audit.js';
import { auditRecordHash } from '../../../crypto/node/audit.js';
import { toAuditRecord, toCheckpoint, type AuditRow, type CheckpointRow } from '../shared/rows.js';

/** What another role's transaction writes to the audit tables; every method runs inside it. */
export interface AuditChain {
  /** Appends `events` to the chain; returns the seq of the first record appended. */
  append(events: readonly AuditEvent[], at: number): number;
  /** Indexes an ACK mark's record, so findAckRecord need not scan the chain. */
  indexAck(clientId: string, uptoSeq: number, recordSeq: number): void;
}

const HEAD = 'SELECT seq, hash FROM audit_head WHERE id = 1';

export function sqliteAuditChain(db: Database.Database): AuditChain {
  const head = db.prepare(HEAD);
  const setHead = db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1');
  const insertRecord = db.prepare('INSERT INTO audit_log (seq, at, kind, fields, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)');
  const insertAck = db.prepare('INSERT INTO audit_acks (client_id, upto_seq, record_seq) VALUES (?, ?, ?)');
  return {
    append(events, at) {
      const start = head.get() as { seq: number; hash: Buffer };
      let seq = start.seq;
      let prevHash: Uint8Array = start.hash;
      for (const event of events) {
        seq++;
        const record = { seq, at, kind: event.kind, fields: event.fields, prevHash };
        const hash = auditRecordHash(record);
        insertRecord.run(seq, at, event.kind, event.fields, prevHash, hash);
        prevHash = hash;
      }
      if (events.length > 0) setHead.run(seq, prevHash);
      return start.seq + 1;
    },
    indexAck(clientId, uptoSeq, recordSeq) {
      insertAck.run(clientId, uptoSeq, recordSeq);
    },
  };
}

export function sqliteAuditLog(db: Database.Database, chain: AuditChain): AuditLog {
  const head = db.prepare(HEAD);
  const records = db.prepare('SELECT seq, at, kind, fields, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?');
  const record = db.prepare('SELECT seq, at, kind, fields, prev_hash, hash FROM audit_log WHERE seq = ?');
  const ackFor = db.prepare('SELECT record_seq FROM audit_acks WHERE client_id = ? AND upto_seq >= ? ORDER BY upto_seq, record_seq LIMIT 1').pluck();
  const insertCheckpoint = db.prepare(
    `INSERT INTO audit_checkpoints (seq, head_hash, at, key_version, signature) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (seq) DO NOTHING`,
  );
  const checkpoints = db.prepare('SELECT seq, head_hash, at, key_version, signature FROM audit_checkpoints WHERE seq > ? ORDER BY seq LIMIT ?');
  const latestCheckpoint = db.prepare('SELECT seq, head_hash, at, key_version, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
  const append = db.transaction((events: readonly AuditEvent[], at: number) => {
    chain.append(events, at);
  });

  return {
    async appendAudit(events, at) {
      if (events.length > 0) append.immediate(events, at);
    },
    async auditHead() {
      const row = head.get() as { seq: number; hash: Buffer };
      return { seq: row.seq, hash: row.hash };
    },
    async auditRecords(afterSeq, limit) {
      return (records.all(afterSeq, limit) as AuditRow[]).map(toAuditRecord);
    },
    async findAckRecord(clientId, seq) {
      const recordSeq = ackFor.get(clientId, seq) as number | undefined;
      if (recordSeq === undefined) return undefined;
      const row = record.get(recordSeq) as AuditRow | undefined;
      return row === undefined ? undefined : toAuditRecord(row);
    },
    async addAuditCheckpoint(c) {
      return insertCheckpoint.run(c.seq, c.headHash, c.at, c.keyVersion, c.signature).changes === 1;
    },
    async auditCheckpoints(afterSeq, limit) {
      return (checkpoints.all(afterSeq, limit) as CheckpointRow[]).map(toCheckpoint);
    },
    async latestAuditCheckpoint() {
      const row = latestCheckpoint.get() as CheckpointRow | undefined;
      return row === undefined ? undefined : toCheckpoint(row);
    },
  };
}
