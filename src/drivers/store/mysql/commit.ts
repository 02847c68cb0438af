/**
 * MessageLog.commit on MySQL: one group commit, in one transaction with its audit appends.
 * The clients the batch touches are locked first, in id order (FOR UPDATE: a client's
 * last_seq, so seqs are assigned once across nodes), then its messages, then the audit head
 * (mysql/audit.ts); the lock order of mysql/store.ts.
 */
import type { CommitResult, MessageOutcome, NewMessage, WriteBatch } from '../../../domain/ports/message-log.js';
import type { Client, MessageRecord } from '../../../domain/types.js';
import { encodeCoveredList } from '../../../crypto/ack-receipt.js';
import { CLIENT_COLUMNS, commitAuditEvents, isEmpty, toClient, toMessageRecord, type ClientRow, type MessageRow } from '../shared/rows.js';
import type { MysqlLink, Param } from './link.js';
import { ER_DUP_ENTRY, bytes, bytesOrNull, errno, run, select, transaction, type Tx } from './conn.js';
import { inLists, insertMany, list, marks } from './chunks.js';
import { appendAuditChain } from './audit.js';
import { ackedEvents, deliveredEvents, subscribedApps } from './webhook-events.js';
import { ACKED, DELIVERED, INSERT_AUDIT_ACKS, INSERT_MESSAGES, MESSAGE_RECORD, QUEUED } from './statements.js';

/** A locked client's seqs while the batch is applied; `pending` is counted only once it nears the cap. */
interface SeqState { readonly no: number; readonly appId: string; readonly ackedSeq: number; lastSeq: number; dirty: boolean; pending: number | null }

/** `maxPending`: MysqlStoreOptions.maxPendingPerClient. */
export async function commitMysqlBatch(link: MysqlLink, batch: WriteBatch, maxPending: number): Promise<CommitResult> {
  if (isEmpty(batch)) return { messages: [], clients: [] };
  return transaction(link, (tx) => apply(tx, batch, maxPending));
}

async function apply(tx: Tx, batch: WriteBatch, maxPending: number): Promise<CommitResult> {
  const clients: (Client | null)[] = [];
  for (const c of batch.clients) clients.push(await insertClient(tx, c));

  // The clients this batch touches, locked in id order (the index order of the IN list).
  const ids = [...new Set([...batch.messages.map((m) => m.clientId), ...batch.delivered.map((m) => m.clientId), ...batch.acked.map((m) => m.clientId)])].sort();
  const states = new Map<string, SeqState>();
  for (const chunk of inLists(ids)) {
    const rows = await select<{ no: number; id: string; app_id: string; last_seq: number; acked_seq: number }>(tx,
      `SELECT no, id, app_id, last_seq, acked_seq FROM clients WHERE id IN (${list(chunk.length)}) ORDER BY id FOR UPDATE`, chunk);
    for (const r of rows) states.set(r.id, { no: r.no, appId: r.app_id, lastSeq: r.last_seq, ackedSeq: r.acked_seq, dirty: false, pending: null });
  }

  const messages = await insertMessages(tx, batch, states, maxPending);
  for (const state of states.values()) {
    if (state.dirty) await run(tx, 'UPDATE clients SET last_seq = ? WHERE no = ?', [state.lastSeq, state.no]);
  }

  const at = batch.at;
  const webhooks = batch.delivered.length + batch.acked.length === 0 ? new Map<string, number>()
    : await subscribedApps(tx, [...batch.delivered, ...batch.acked].flatMap((m) => states.get(m.clientId)?.appId ?? []));
  const range = (state: SeqState, uptoSeq: number, clientId: string) => ({ clientId, clientNo: state.no, afterSeq: state.ackedSeq, uptoSeq, at });
  for (const mark of batch.delivered) {
    const state = states.get(mark.clientId);
    if (state === undefined) continue;
    const mask = webhooks.get(state.appId);
    if (mask !== undefined) await deliveredEvents(tx, mask, range(state, mark.uptoSeq, mark.clientId));
    await run(tx,
      `UPDATE messages SET status = ${DELIVERED}, delivered_at = ?
       WHERE client_no = ? AND seq > ? AND seq <= ? AND status = ${QUEUED} AND expires_at > ?`,
      [at, state.no, state.ackedSeq, mark.uptoSeq, at]);
  }
  for (const mark of batch.acked) {
    const state = states.get(mark.clientId);
    if (state === undefined) continue;
    const mask = webhooks.get(state.appId);
    if (mask !== undefined) await ackedEvents(tx, mask, range(state, mark.uptoSeq, mark.clientId));
    await run(tx,
      `UPDATE messages SET status = ${ACKED}, acked_at = ?, delivered_at = COALESCE(delivered_at, ?), payload = NULL
       WHERE client_no = ? AND seq > ? AND seq <= ? AND (status = ${DELIVERED} OR (status = ${QUEUED} AND expires_at > ?))`,
      [at, at, state.no, state.ackedSeq, mark.uptoSeq, at]);
    await run(tx, 'UPDATE clients SET acked_seq = GREATEST(acked_seq, LEAST(?, last_seq)) WHERE no = ?', [mark.uptoSeq, state.no]);
    for (const receipt of mark.receipts ?? []) {
      const covered = bytes(encodeCoveredList(receipt.messages));
      const { insertId } = await run(tx,
        'INSERT INTO ack_receipts (client_no, from_seq, upto_seq, covered, signature, acked_at) VALUES (?, ?, ?, ?, ?, ?)',
        [state.no, receipt.fromSeq, receipt.uptoSeq, covered, bytes(receipt.signature), at]);
      // Only a message this very ack moved to acked, and only once: a receipt names what it proves.
      for (const chunk of inLists(receipt.messages)) {
        await run(tx,
          `UPDATE messages SET receipt_no = ? WHERE client_no = ? AND status = ${ACKED} AND receipt_no IS NULL
           AND (seq, id) IN (${marks(chunk.length, 2)})`,
          [insertId, state.no, ...chunk.flatMap((m) => [m.seq, m.id])]);
      }
    }
  }
  for (const chunk of inLists(batch.seen)) {
    await run(tx, `UPDATE clients SET last_seen_at = ? WHERE id IN (${list(chunk.length)})`, [at, ...chunk]);
  }

  const { events, ackIndex } = commitAuditEvents(batch, messages);
  if (events.length > 0) {
    const first = await appendAuditChain(tx, events, at);
    if (ackIndex >= 0) {
      await insertMany(tx, INSERT_AUDIT_ACKS, batch.acked.map((mark) => [mark.clientId, mark.uptoSeq, first + ackIndex]));
    }
  }
  return { messages, clients };
}

/**
 * The client inserted, or the one that already holds its (app, static key): a concurrent
 * first connect won; null when its app is gone (the INSERT ... SELECT share-locks the app row,
 * so a delete waits for this commit or this insert finds no app).
 */
async function insertClient(tx: Tx, c: WriteBatch['clients'][number]): Promise<Client | null> {
  const hpkeKey = c.hpkeKey ?? null;
  try {
    const { affectedRows } = await run(tx,
      `INSERT INTO clients (id, app_id, static_key, key_salt, last_seq, acked_seq, created_at, last_seen_at, ack_key, hpke_key)
       SELECT ?, ?, ?, ?, 0, 0, ?, NULL, ?, ? FROM apps WHERE id = ? LOCK IN SHARE MODE`,
      [c.id, c.appId, bytes(c.staticKey), bytes(c.keySalt), c.createdAt, bytesOrNull(c.ackKey), bytesOrNull(hpkeKey), c.appId]);
    if (affectedRows === 0) return null;
  } catch (err) {
    if (errno(err) !== ER_DUP_ENTRY) throw err;
    // Only a taken (app, static key) is a race to lose; a taken id fails the batch.
    const [holder] = await select<ClientRow>(tx, `SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? AND static_key = ? FOR UPDATE`,
      [c.appId, bytes(c.staticKey)]);
    if (holder === undefined) throw err;
    return toClient(holder);
  }
  const client: Client = { id: c.id, appId: c.appId, staticKey: c.staticKey, keySalt: c.keySalt, lastSeq: 0, ackedSeq: 0, createdAt: c.createdAt, lastSeenAt: null, hpkeKey };
  return c.ackKey === undefined ? client : { ...client, ackKey: c.ackKey };
}

/** Outcomes in batch order; the inserted rows go in multi-row INSERTs. */
async function insertMessages(tx: Tx, batch: WriteBatch, states: Map<string, SeqState>, maxPending: number): Promise<MessageOutcome[]> {
  const existing = await existingMessages(tx, batch.messages);
  const outcomes: MessageOutcome[] = [];
  const rows: Param[][] = [];
  const duplicateOf = (m: NewMessage): MessageOutcome | undefined => {
    const record = existing.get(`${m.appId}\n${m.id}`);
    return record === undefined ? undefined : { kind: 'duplicate', existing: record };
  };
  for (const m of batch.messages) {
    const state = states.get(m.clientId);
    if (state === undefined || state.appId !== m.appId) {
      outcomes.push(duplicateOf(m) ?? { kind: 'unknown-client' });
      continue;
    }
    const duplicate = duplicateOf(m);
    if (duplicate) {
      outcomes.push(duplicate);
      continue;
    }
    if (state.lastSeq - state.ackedSeq >= maxPending) {
      state.pending ??= Number((await select<{ n: number }>(tx,
        `SELECT COUNT(*) AS n FROM messages WHERE client_no = ? AND seq > ? AND status < ${ACKED} AND expires_at > ?`,
        [state.no, state.ackedSeq, batch.at]))[0]?.n ?? 0);
      if (state.pending >= maxPending) {
        outcomes.push({ kind: 'client-full' });
        continue;
      }
    }
    const seq = state.lastSeq + 1;
    rows.push([state.no, seq, m.appId, m.id, QUEUED, bytes(m.payload), m.createdAt, m.expiresAt, bytesOrNull(m.fingerprint)]);
    state.lastSeq = seq;
    state.dirty = true;
    if (state.pending !== null) state.pending++;
    outcomes.push({ kind: 'inserted', seq });
    // A later message of the batch with this id is a duplicate of this one.
    existing.set(`${m.appId}\n${m.id}`, {
      appId: m.appId, id: m.id, clientId: m.clientId, seq, status: 'queued', createdAt: m.createdAt, expiresAt: m.expiresAt, deliveredAt: null, ackedAt: null, fingerprint: m.fingerprint ?? null,
    });
  }
  try {
    await insertMany(tx, INSERT_MESSAGES, rows);
  } catch (err) {
    // Another node committed one of these (app, id) pairs after it was looked up (to another
    // client, whose row this transaction does not lock): run again, and it reads as a duplicate.
    if (errno(err) === ER_DUP_ENTRY) throw Object.assign(err as Error, { retryCommit: true });
    throw err;
  }
  return outcomes;
}

/** The stored messages with the batch's (app, id) pairs, by "app\nid". */
async function existingMessages(tx: Tx, messages: readonly NewMessage[]): Promise<Map<string, MessageRecord>> {
  const byApp = new Map<string, string[]>();
  for (const m of messages) {
    let ids = byApp.get(m.appId);
    if (!ids) byApp.set(m.appId, (ids = []));
    ids.push(m.id);
  }
  const found = new Map<string, MessageRecord>();
  for (const [appId, ids] of byApp) {
    for (const chunk of inLists([...new Set(ids)])) {
      const rows = await select<MessageRow>(tx, `${MESSAGE_RECORD} WHERE m.app_id = ? AND m.id IN (${list(chunk.length)})`, [appId, ...chunk]);
      for (const row of rows) found.set(`${row.app_id}\n${row.id}`, toMessageRecord(row));
    }
  }
  return found;
}
