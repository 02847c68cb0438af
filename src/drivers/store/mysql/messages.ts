/**
 * MessageLog on MySQL (message-log.ts): the group commit (mysql/commit.ts), the reads of
 * pending messages, the expiry and purge passes (each on its own index range of
 * mysql/schema.ts), and receipts.
 */
import type { MessageLog } from '../../../domain/ports/message-log.js';
import { expireEvent } from '../../../domain/audit.js';
import { toMessageRecord, toReceipt, type MessageRow, type ReceiptRow } from '../shared/rows.js';
import type { MysqlLink } from './link.js';
import { int, run, select, transaction } from './conn.js';
import { inLists, list, marks } from './chunks.js';
import { commitMysqlBatch } from './commit.js';
import { appendAuditChain } from './audit.js';
import { expiredEvents } from './webhook-events.js';
import { ACKED, DELIVERED, EXPIRED, MESSAGE_RECORD, QUEUED } from './statements.js';

/** `maxPending`: MysqlStoreOptions.maxPendingPerClient. */
export function mysqlMessageLog(link: MysqlLink, maxPending: number): MessageLog {
  return {
    commit: (batch) => commitMysqlBatch(link, batch, maxPending),

    async getReceipt(appId, messageId) {
      const [row] = await select<ReceiptRow>(link,
        `SELECT c.id AS client_id, r.from_seq, r.upto_seq, r.covered, r.signature, r.acked_at
         FROM messages m JOIN ack_receipts r ON r.no = m.receipt_no JOIN clients c ON c.no = r.client_no
         WHERE m.app_id = ? AND m.id = ?`, [appId, messageId]);
      return row === undefined ? undefined : toReceipt(row);
    },

    async getMessage(appId, messageId) {
      const [row] = await select<MessageRow>(link, `${MESSAGE_RECORD} WHERE m.app_id = ? AND m.id = ?`, [appId, messageId]);
      return row === undefined ? undefined : toMessageRecord(row);
    },

    async pendingMessages(clientId, afterSeq, limit, now) {
      // Every seq <= acked_seq is acked or expired: the primary-key range starts above it.
      const rows = await select<{ seq: number; id: string; app_id: string; created_at: number; payload: Buffer }>(link,
        `SELECT m.seq, m.id, m.app_id, m.created_at, m.payload FROM clients c JOIN messages m ON m.client_no = c.no AND m.seq > c.acked_seq
         WHERE c.id = ? AND m.seq > ? AND m.status < ${ACKED} AND m.expires_at > ? ORDER BY m.seq LIMIT ${int(limit)}`,
        [clientId, afterSeq, now]);
      return rows.map((row) => ({ seq: row.seq, id: row.id, appId: row.app_id, createdAt: row.created_at, payload: row.payload }));
    },

    async lastSeqs(clientIds) {
      if (clientIds.length === 0) return [];
      const rows = await select<{ id: string; last_seq: number }>(link, `SELECT id, last_seq FROM clients WHERE id IN (${list(clientIds.length)})`, clientIds);
      return rows.map((row) => ({ clientId: row.id, lastSeq: Number(row.last_seq) }));
    },

    async countPending(clientId, now) {
      const [row] = await select<{ n: number }>(link,
        `SELECT COUNT(*) AS n FROM clients c JOIN messages m ON m.client_no = c.no AND m.seq > c.acked_seq
         WHERE c.id = ? AND m.status < ${ACKED} AND m.expires_at > ?`, [clientId, now]);
      return Number(row?.n ?? 0);
    },

    async countPendingByApp(now) {
      const rows = await select<{ app_id: string; pending: number }>(link,
        `SELECT m.app_id, COUNT(*) AS pending FROM clients c JOIN messages m ON m.client_no = c.no AND m.seq > c.acked_seq
         WHERE m.status < ${ACKED} AND m.expires_at > ? GROUP BY m.app_id ORDER BY m.app_id`, [now]);
      return rows.map((row) => ({ appId: String(row.app_id), pending: Number(row.pending) }));
    },

    async expireMessages(now, limit) {
      return transaction(link, async (tx) => {
        // messages_pending: two index ranges (status 0 and 1), each read up to `now`; no sort.
        const due = await select<{ client_no: number; seq: number; app_id: string; id: string }>(tx,
          `SELECT client_no, seq, app_id, id FROM messages WHERE status IN (${QUEUED}, ${DELIVERED}) AND expires_at <= ?
           LIMIT ${int(limit)} FOR UPDATE`, [now]);
        if (due.length === 0) return 0;
        const clientIds = new Map<number, string>();
        for (const chunk of inLists([...new Set(due.map((d) => d.client_no))])) {
          const rows = await select<{ no: number; id: string }>(tx, `SELECT no, id FROM clients WHERE no IN (${list(chunk.length)})`, chunk);
          for (const row of rows) clientIds.set(row.no, row.id);
        }
        await expiredEvents(tx, due, now);
        for (const chunk of inLists(due)) {
          await run(tx, `UPDATE messages SET status = ${EXPIRED}, payload = NULL WHERE (client_no, seq) IN (${marks(chunk.length, 2)})`,
            chunk.flatMap((d) => [d.client_no, d.seq]));
        }
        await appendAuditChain(tx, [expireEvent(due.map((d) => [d.app_id, d.id, clientIds.get(d.client_no) ?? '', d.seq]))], now);
        return due.length;
      });
    },

    async purgeMessages(createdBefore, limit) {
      // messages_finished: the ranges status 2 and 3 only; pending rows are never read.
      return (await run(link, `DELETE FROM messages WHERE status IN (${ACKED}, ${EXPIRED}) AND created_at < ? LIMIT ${int(limit)}`,
        [createdBefore])).affectedRows;
    },
  };
}
