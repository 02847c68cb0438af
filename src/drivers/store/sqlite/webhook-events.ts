/**
 * The webhook outbox's writes inside the status changes (ports/webhooks.ts): each runs in the
 * transaction of the change, just before its UPDATE, over exactly the rows that UPDATE moves,
 * so an event exists exactly when its change committed. One row per message and subscribed
 * endpoint, in seq order. The EXISTS guard does not depend on any row, so SQLite tests it
 * once, before the scan: an app with no subscribed endpoint pays one index probe per mark.
 */
import type Database from 'better-sqlite3';
import { WEBHOOK_EVENT_CODE } from '../../../domain/webhooks.js';
import { ACKED, DELIVERED, QUEUED } from './statements.js';

const DELIVERED_CODE = WEBHOOK_EVENT_CODE['message.delivered'];
const ACKED_CODE = WEBHOOK_EVENT_CODE['message.acked'];
const EXPIRED_CODE = WEBHOOK_EVENT_CODE['message.expired'];

const COLUMNS = 'id, endpoint_id, app_id, type, at, message_id, client_id, created_at, expires_at, delivered_at, acked_at, next_at';
const EVENT_ID = "'evt_' || lower(hex(randomblob(12)))";

/** Endpoints of the mark's client's app subscribed to `code`. */
function subscribed(code: number): string {
  return `EXISTS (SELECT 1 FROM webhook_endpoints WHERE app_id = (SELECT app_id FROM clients WHERE id = @clientId) AND (events & ${code}) != 0)`;
}

/** Events of one mark's rows (its client's range, as statements.ts CLIENT_RANGE): `where` picks the rows the mark moves. */
function markInsert(code: number, deliveredAt: string, ackedAt: string, where: string): string {
  return `INSERT INTO webhook_events (${COLUMNS})
    SELECT ${EVENT_ID}, e.id, m.app_id, ${code}, @at, m.id, @clientId, m.created_at, m.expires_at, ${deliveredAt}, ${ackedAt}, @at
    FROM messages m JOIN webhook_endpoints e ON e.app_id = m.app_id AND (e.events & ${code}) != 0
    WHERE ${subscribed(code)} AND m.client_no = (SELECT no FROM clients WHERE id = @clientId)
      AND m.seq > COALESCE((SELECT acked_seq FROM clients WHERE id = @clientId), 0) AND m.seq <= @uptoSeq AND ${where}
    ORDER BY m.seq, e.no`;
}

export interface WebhookEventWrites {
  /** Before a delivered mark's UPDATE (named parameters at, clientId, uptoSeq). */
  delivered(params: { at: number; clientId: string; uptoSeq: number }): void;
  /** Before an acked mark's UPDATE: delivered events of the rows it moves from queued, then acked events. */
  acked(params: { at: number; clientId: string; uptoSeq: number }): void;
  /** Before the expiry of one row (its rowid). */
  expired(rowid: number, at: number): void;
}

export function webhookEventWrites(db: Database.Database): WebhookEventWrites {
  const delivered = db.prepare(markInsert(DELIVERED_CODE, '@at', 'NULL', `m.status = ${QUEUED} AND m.expires_at > @at`));
  const acked = db.prepare(markInsert(ACKED_CODE, 'COALESCE(m.delivered_at, @at)', '@at',
    `(m.status = ${DELIVERED} OR (m.status = ${QUEUED} AND m.expires_at > @at))`));
  const expired = db.prepare(`INSERT INTO webhook_events (${COLUMNS})
    SELECT ${EVENT_ID}, e.id, m.app_id, ${EXPIRED_CODE}, @at, m.id, c.id, m.created_at, m.expires_at, m.delivered_at, NULL, @at
    FROM messages m JOIN clients c ON c.no = m.client_no
      JOIN webhook_endpoints e ON e.app_id = m.app_id AND (e.events & ${EXPIRED_CODE}) != 0
    WHERE m.rowid = @rowid AND m.status < ${ACKED} ORDER BY e.no`);
  return {
    delivered: (params) => void delivered.run(params),
    acked: (params) => {
      delivered.run(params);
      acked.run(params);
    },
    expired: (rowid, at) => void expired.run({ rowid, at }),
  };
}
