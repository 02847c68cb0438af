/**
 * AuditLog on MySQL (audit-log.ts), and the append to the hash chain that a commit or an
 * expiry pass makes inside its own transaction. Appends lock the single audit_head row
 * (FOR UPDATE), last of a transaction's locks (mysql/store.ts): they serialize across nodes,
 * and their seqs become visible in order.
 */
import type { AuditLog } from '../../../domain/ports/audit-log.js';
import type { AuditEvent } from '../../../domain/audit.js';
import { auditRecordHash } from '../../../crypto/node/audit.js';
import { toAuditRecord, toCheckpoint, type AuditRow, type CheckpointRow } from '../shared/rows.js';
import type { MysqlLink, Param } from './link.js';
import { bytes, insertUnlessTaken, int, run, select, transaction, type Tx } from './conn.js';
import { insertMany } from './chunks.js';
import { AUDIT_RECORD, CHECKPOINT, INSERT_AUDIT_LOG } from './statements.js';

/** migrate inserts the head row with the table: without it there is no chain to extend. */
const headMissing = (): Error => new Error('mysql store: the audit head row is missing (run sealpush migrate)');

/** Appends `events` to the chain inside the caller's transaction; returns the seq of the first. */
export async function appendAuditChain(tx: Tx, events: readonly AuditEvent[], at: number): Promise<number> {
  const [head] = await select<{ seq: number; hash: Buffer }>(tx, 'SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE');
  if (head === undefined) throw headMissing();
  let seq = head.seq;
  let prevHash: Uint8Array = head.hash;
  const rows: Param[][] = [];
  for (const event of events) {
    seq++;
    const hash = auditRecordHash({ seq, at, kind: event.kind, fields: event.fields, prevHash });
    rows.push([seq, at, event.kind, event.fields, bytes(prevHash), bytes(hash)]);
    prevHash = hash;
  }
  if (rows.length > 0) {
    await insertMany(tx, INSERT_AUDIT_LOG, rows);
    await run(tx, 'UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [seq, bytes(prevHash)]);
  }
  return head.seq + 1;
}

export function mysqlAuditLog(link: MysqlLink): AuditLog {
  return {
    async appendAudit(events, at) {
      if (events.length > 0) await transaction(link, (tx) => appendAuditChain(tx, events, at));
    },

    async auditHead() {
      const [row] = await select<{ seq: number; hash: Buffer }>(link, 'SELECT seq, hash FROM audit_head WHERE id = 1');
      if (row === undefined) throw headMissing();
      return { seq: row.seq, hash: row.hash };
    },

    async auditRecords(afterSeq, limit) {
      return (await select<AuditRow>(link, `${AUDIT_RECORD} WHERE seq > ? ORDER BY seq LIMIT ${int(limit)}`, [afterSeq])).map(toAuditRecord);
    },

    async findAckRecord(clientId, seq) {
      const [row] = await select<AuditRow>(link,
        `${AUDIT_RECORD} WHERE seq = (SELECT record_seq FROM audit_acks WHERE client_id = ? AND upto_seq >= ? ORDER BY upto_seq, record_seq LIMIT 1)`,
        [clientId, seq]);
      return row === undefined ? undefined : toAuditRecord(row);
    },

    async addAuditCheckpoint(c) {
      return insertUnlessTaken(link, 'INSERT INTO audit_checkpoints (seq, head_hash, at, key_version, signature) VALUES (?, ?, ?, ?, ?)',
        [c.seq, bytes(c.headHash), c.at, c.keyVersion, bytes(c.signature)]);
    },

    async auditCheckpoints(afterSeq, limit) {
      return (await select<CheckpointRow>(link, `${CHECKPOINT} WHERE seq > ? ORDER BY seq LIMIT ${int(limit)}`, [afterSeq])).map(toCheckpoint);
    },

    async latestAuditCheckpoint() {
      const [row] = await select<CheckpointRow>(link, `${CHECKPOINT} ORDER BY seq DESC LIMIT 1`);
      return row === undefined ? undefined : toCheckpoint(row);
    },
  };
}
