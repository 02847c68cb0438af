/**
 * The webhook outbox's writes inside the status changes on MySQL (ports/webhooks.ts), as
 * sqlite/webhook-events.ts: in the transaction of the change, just before its UPDATE, over
 * exactly the rows it moves. One read per commit finds which of the batch's apps have
 * subscribed endpoints, so a commit of apps without webhooks runs no INSERT at all.
 */
import { WEBHOOK_EVENT_CODE } from '../../../domain/webhooks.js';
import type { Param } from './link.js';
import { run, select, type Tx } from './conn.js';
import { inLists, list, marks } from './chunks.js';
import { ACKED, DELIVERED, QUEUED } from './statements.js';

const DELIVERED_CODE = WEBHOOK_EVENT_CODE['message.delivered'];
const ACKED_CODE = WEBHOOK_EVENT_CODE['message.acked'];
const EXPIRED_CODE = WEBHOOK_EVENT_CODE['message.expired'];

const INSERT = `INSERT INTO webhook_events
  (id, endpoint_id, app_id, type, at, message_id, client_id, created_at, expires_at, delivered_at, acked_at, next_at)`;
const EVENT_ID = "CONCAT('evt_', LOWER(HEX(RANDOM_BYTES(12))))";

/** The mask of event types each app of `appIds` has an endpoint for; apps with none are left out. */
export async function subscribedApps(tx: Tx, appIds: readonly string[]): Promise<Map<string, number>> {
  const masks = new Map<string, number>();
  for (const chunk of inLists([...new Set(appIds)])) {
    const rows = await select<{ app_id: string; events: number }>(tx,
      `SELECT app_id, BIT_OR(events) AS events FROM webhook_endpoints WHERE app_id IN (${list(chunk.length)}) GROUP BY app_id`, chunk);
    for (const row of rows) masks.set(row.app_id, Number(row.events));
  }
  return masks;
}

/** One mark's range of a client: its number, the seq its range starts above, and the mark's end. */
export interface MarkRange {
  readonly clientId: string;
  readonly clientNo: number;
  readonly afterSeq: number;
  readonly uptoSeq: number;
  readonly at: number;
}

/** SQL with its parameters. */
type Part = readonly [string, readonly Param[]];

async function insertForMark(tx: Tx, code: number, range: MarkRange, deliveredAt: Part, ackedAt: Part, where: Part): Promise<void> {
  const { clientId, clientNo, afterSeq, uptoSeq, at } = range;
  await run(tx,
    `${INSERT} SELECT ${EVENT_ID}, e.id, m.app_id, ${code}, ?, m.id, ?, m.created_at, m.expires_at, ${deliveredAt[0]}, ${ackedAt[0]}, ?
     FROM messages m JOIN webhook_endpoints e ON e.app_id = m.app_id AND (e.events & ${code}) != 0
     WHERE m.client_no = ? AND m.seq > ? AND m.seq <= ? AND ${where[0]} ORDER BY m.seq, e.no`,
    [at, clientId, ...deliveredAt[1], ...ackedAt[1], at, clientNo, afterSeq, uptoSeq, ...where[1]]);
}

/** Before a delivered mark's UPDATE, when the client's app subscribes to delivered events. */
export async function deliveredEvents(tx: Tx, mask: number, range: MarkRange): Promise<void> {
  if ((mask & DELIVERED_CODE) === 0) return;
  await insertForMark(tx, DELIVERED_CODE, range, ['?', [range.at]], ['NULL', []], [`m.status = ${QUEUED} AND m.expires_at > ?`, [range.at]]);
}

/** Before an acked mark's UPDATE: delivered events of the rows it moves from queued, then acked events. */
export async function ackedEvents(tx: Tx, mask: number, range: MarkRange): Promise<void> {
  await deliveredEvents(tx, mask, range);
  if ((mask & ACKED_CODE) === 0) return;
  await insertForMark(tx, ACKED_CODE, range, ['COALESCE(m.delivered_at, ?)', [range.at]], ['?', [range.at]],
    [`(m.status = ${DELIVERED} OR (m.status = ${QUEUED} AND m.expires_at > ?))`, [range.at]]);
}

/** Before the expiry of rows (client_no, seq), in the expiry's transaction. */
export async function expiredEvents(tx: Tx, rows: readonly { client_no: number; seq: number }[], at: number): Promise<void> {
  for (const chunk of inLists(rows)) {
    await run(tx,
      `${INSERT} SELECT ${EVENT_ID}, e.id, m.app_id, ${EXPIRED_CODE}, ?, m.id, c.id, m.created_at, m.expires_at, m.delivered_at, NULL, ?
       FROM messages m JOIN clients c ON c.no = m.client_no
         JOIN webhook_endpoints e ON e.app_id = m.app_id AND (e.events & ${EXPIRED_CODE}) != 0
       WHERE (m.client_no, m.seq) IN (${marks(chunk.length, 2)}) AND m.status < ${ACKED} ORDER BY m.client_no, m.seq, e.no`,
      [at, at, ...chunk.flatMap((r) => [r.client_no, r.seq])]);
  }
}
