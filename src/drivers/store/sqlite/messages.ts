/**
 * MessageLog's reads and upkeep on SQLite (ports/message-log.ts): a message and its receipt,
 * the pending reads a connection's catch-up runs, the counts, expiry and purge. Its writes
 * are the group commit's (commit.ts).
 */
import type Database from 'better-sqlite3';
import type { MessageLog } from '../../../domain/ports/message-log.js';
import { expireEvent } from '../../../domain/audit.js';
import type { AuditChain } from './audit.js';
import { webhookEventWrites } from './webhook-events.js';
import { ACKED, CLIENT_RANGE, EXPIRED, MESSAGE_BY_ID } from './statements.js';
import { toMessageRecord, toReceipt, type MessageRow, type ReceiptRow } from '../shared/rows.js';

export type MessageReads = Omit<MessageLog, 'commit'>;

export function sqliteMessageReads(db: Database.Database, chain: AuditChain): MessageReads {
  const messageById = db.prepare(MESSAGE_BY_ID);
  const receiptOf = db.prepare(
    `SELECT c.id AS client_id, m.seq, r.from_seq, r.upto_seq, r.covered, r.signature, r.acked_at
     FROM messages m JOIN ack_receipts r ON r.no = m.receipt_no JOIN clients c ON c.no = r.client_no
     WHERE m.app_id = ? AND m.id = ?`,
  );
  const pending = db.prepare(
    `SELECT seq, id, app_id, created_at, payload FROM messages
     WHERE ${CLIENT_RANGE} AND seq > @afterSeq
       AND status < ${ACKED} AND expires_at > @now
     ORDER BY seq LIMIT @limit`,
  );
  const countPending = db.prepare(
    `SELECT COUNT(*) FROM messages
     WHERE ${CLIENT_RANGE} AND status < ${ACKED} AND expires_at > @now`,
  ).pluck();
  const countPendingByApp = db.prepare(
    `SELECT app_id, COUNT(*) AS pending FROM messages
     WHERE status < ${ACKED} AND expires_at > ? GROUP BY app_id ORDER BY app_id`,
  );
  // One statement for any number of ids: they arrive as one JSON array.
  const lastSeqs = db.prepare('SELECT id, last_seq FROM clients WHERE id IN (SELECT value FROM json_each(?))');
  const purge = db.prepare(
    `DELETE FROM messages WHERE rowid IN (
       SELECT rowid FROM messages WHERE status >= ${ACKED} AND created_at < ? LIMIT ?)`,
  );
  const expire = expiry(db, chain);

  return {
    async getMessage(appId, messageId) {
      const row = messageById.get(appId, messageId) as MessageRow | undefined;
      return row === undefined ? undefined : toMessageRecord(row);
    },
    async getReceipt(appId, messageId) {
      const row = receiptOf.get(appId, messageId) as (ReceiptRow & { seq: number }) | undefined;
      if (row === undefined) return undefined;
      const receipt = toReceipt(row);
      // The link is by seq range (commit.ts, keepReceipts): it is the proof of this message only if it names it.
      return receipt.messages.some((m) => m.seq === row.seq && m.id === messageId) ? receipt : undefined;
    },
    async pendingMessages(clientId, afterSeq, limit, now) {
      const rows = pending.all({ clientId, afterSeq, now, limit }) as
        { seq: number; id: string; app_id: string; created_at: number; payload: Buffer }[];
      return rows.map((row) => ({ seq: row.seq, id: row.id, appId: row.app_id, createdAt: row.created_at, payload: row.payload }));
    },
    async countPending(clientId, now) {
      return countPending.get({ clientId, now }) as number;
    },
    async countPendingByApp(now) {
      const rows = countPendingByApp.all(now) as { app_id: string; pending: number }[];
      return rows.map((row) => ({ appId: row.app_id, pending: row.pending }));
    },
    async lastSeqs(clientIds) {
      const rows = lastSeqs.all(JSON.stringify(clientIds)) as { id: string; last_seq: number }[];
      return rows.map((row) => ({ clientId: row.id, lastSeq: row.last_seq }));
    },
    async expireMessages(now, limit) {
      return expire.immediate(now, limit);
    },
    async purgeMessages(createdBefore, limit) {
      return purge.run(createdBefore, limit).changes;
    },
  };
}

/**
 * One expiry pass, as a transaction: it selects what it expires (for its audit record), then
 * marks exactly those rows (each with its webhook events), and appends that record to the chain.
 */
function expiry(db: Database.Database, chain: AuditChain) {
  const due = db.prepare(
    `SELECT m.rowid, m.app_id, m.id, c.id AS client_id, m.seq FROM messages m JOIN clients c ON c.no = m.client_no
     WHERE m.status < ${ACKED} AND m.expires_at <= ? ORDER BY m.expires_at LIMIT ?`,
  ).raw(true);
  const expireRow = db.prepare(`UPDATE messages SET status = ${EXPIRED}, payload = NULL WHERE rowid = ?`);
  const webhooks = webhookEventWrites(db);
  return db.transaction((now: number, limit: number) => {
    const rows = due.all(now, limit) as [number, string, string, string, number][];
    for (const row of rows) {
      webhooks.expired(row[0], now);
      expireRow.run(row[0]);
    }
    if (rows.length > 0) chain.append([expireEvent(rows.map(([, appId, id, clientId, seq]) => [appId, id, clientId, seq]))], now);
    return rows.length;
  });
}
