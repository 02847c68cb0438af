/**
 * MessageLog.commit on SQLite: one group commit, one IMMEDIATE transaction. In order: the
 * batch's new clients, its messages (each given its client's next seq, unless the client is
 * unknown, full or the message a duplicate), the delivered and acked marks with their webhook
 * events and signed receipts, the last-seen marks, and the commit's audit records appended to the chain. Either
 * all of it is written or none.
 */
import type Database from 'better-sqlite3';
import type { CommitResult, MessageLog, MessageOutcome, WriteBatch } from '../../../domain/ports/message-log.js';
import type { Client } from '../../../domain/types.js';
import { encodeCoveredList } from '../../../crypto/ack-receipt.js';
import type { AuditChain } from './audit.js';
import { webhookEventWrites, type WebhookEventWrites } from './webhook-events.js';
import { ACKED, APP_BY_ID, CLIENT_BY_KEY, CLIENT_RANGE, DELIVERED, MESSAGE_BY_ID, QUEUED } from './statements.js';
import { commitAuditEvents, isEmpty, toClient, toMessageRecord, type ClientRow, type MessageRow } from '../shared/rows.js';

/**
 * A client's sequence state during one commit: read once, written back once. `pending` is
 * counted only once `lastSeq - ackedSeq` reaches the limit (an upper bound that also counts
 * expired messages), so a client far from it costs no count.
 */
interface SeqState { readonly no: number; readonly appId: string; readonly ackedSeq: number; lastSeq: number; dirty: boolean; pending: number | null }

type Receipts = NonNullable<WriteBatch['acked'][number]['receipts']>;

function commitStatements(db: Database.Database) {
  return {
    appById: db.prepare(APP_BY_ID),
    insertClient: db.prepare(
      `INSERT INTO clients (id, app_id, static_key, key_salt, last_seq, acked_seq, created_at, last_seen_at, ack_key, hpke_key)
       VALUES (?, ?, ?, ?, 0, 0, ?, NULL, ?, ?) ON CONFLICT (app_id, static_key) DO NOTHING`,
    ),
    clientByKey: db.prepare(CLIENT_BY_KEY),
    clientSeq: db.prepare('SELECT no, app_id, last_seq, acked_seq FROM clients WHERE id = ?').raw(true),
    countPendingByNo: db.prepare(
      `SELECT COUNT(*) FROM messages m JOIN clients c ON c.no = m.client_no
       WHERE m.client_no = ? AND m.seq > c.acked_seq AND m.status < ${ACKED} AND m.expires_at > ?`,
    ).pluck(),
    setLastSeq: db.prepare('UPDATE clients SET last_seq = ? WHERE no = ?'),
    // ON CONFLICT names the (app_id, id) key only: any other violation still aborts the batch.
    insertMessage: db.prepare(
      `INSERT INTO messages (app_id, id, client_no, seq, status, payload, created_at, expires_at, fingerprint)
       VALUES (?, ?, ?, ?, ${QUEUED}, ?, ?, ?, ?) ON CONFLICT (app_id, id) DO NOTHING`,
    ),
    messageById: db.prepare(MESSAGE_BY_ID),
    markDelivered: db.prepare(
      `UPDATE messages SET status = ${DELIVERED}, delivered_at = @at
       WHERE ${CLIENT_RANGE} AND seq <= @uptoSeq AND status = ${QUEUED} AND expires_at > @at`,
    ),
    markAcked: db.prepare(
      `UPDATE messages SET status = ${ACKED}, acked_at = @at, delivered_at = COALESCE(delivered_at, @at), payload = NULL
       WHERE ${CLIENT_RANGE} AND seq <= @uptoSeq
         AND (status = ${DELIVERED} OR (status = ${QUEUED} AND expires_at > @at))`,
    ),
    raiseAckedSeq: db.prepare('UPDATE clients SET acked_seq = MAX(acked_seq, MIN(?, last_seq)) WHERE id = ?'),
    setLastSeen: db.prepare('UPDATE clients SET last_seen_at = ? WHERE id = ?'),
    clientNo: db.prepare('SELECT no FROM clients WHERE id = ?').pluck(),
    insertReceipt: db.prepare(
      'INSERT INTO ack_receipts (client_no, from_seq, upto_seq, covered, signature, acked_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    // One statement per receipt, over the seqs its list spans: only acked messages, and only
    // once (the first receipt stays the proof). See keepReceipts for why a range is enough.
    linkReceipts: db.prepare(
      `UPDATE messages SET receipt_no = ? WHERE client_no = ? AND seq >= ? AND seq <= ? AND status = ${ACKED} AND receipt_no IS NULL`,
    ),
  };
}

type Statements = ReturnType<typeof commitStatements>;

/** `maxPending`: the most pending messages one client may hold (SqliteStoreOptions.maxPendingPerClient). */
export function sqliteCommit(db: Database.Database, chain: AuditChain, maxPending: number): MessageLog['commit'] {
  const s = commitStatements(db);
  const webhooks = webhookEventWrites(db);
  const transaction = db.transaction((batch: WriteBatch): CommitResult => {
    const clients = addClients(s, batch);
    const messages = addMessages(s, batch, maxPending);
    markSeqs(s, webhooks, batch);
    auditCommit(chain, batch, messages);
    return { messages, clients };
  });
  return async (batch) => {
    if (isEmpty(batch)) return { messages: [], clients: [] };
    // IMMEDIATE takes the write lock up front, so a concurrent writer in another process
    // waits at BEGIN (busy_timeout) instead of failing at its first write.
    return transaction.immediate(batch);
  };
}

function addClients(s: Statements, batch: WriteBatch): (Client | null)[] {
  const clients: (Client | null)[] = [];
  for (const c of batch.clients) {
    if (s.appById.get(c.appId) === undefined) {
      clients.push(null); // the app was deleted while this client's handshake ran
      continue;
    }
    const hpkeKey = c.hpkeKey ?? null;
    const { changes } = s.insertClient.run(c.id, c.appId, c.staticKey, c.keySalt, c.createdAt, c.ackKey ?? null, hpkeKey);
    if (changes === 1) {
      const client: Client = { id: c.id, appId: c.appId, staticKey: c.staticKey, keySalt: c.keySalt, lastSeq: 0, ackedSeq: 0, createdAt: c.createdAt, lastSeenAt: null, hpkeKey };
      clients.push(c.ackKey === undefined ? client : { ...client, ackKey: c.ackKey });
    } else {
      // Another connect (in this batch, or committed earlier) holds this key: it wins.
      clients.push(toClient(s.clientByKey.get(c.appId, c.staticKey) as ClientRow));
    }
  }
  return clients;
}

function addMessages(s: Statements, batch: WriteBatch, maxPending: number): MessageOutcome[] {
  const messages: MessageOutcome[] = [];
  const seqs = new Map<string, SeqState | null>();
  for (const m of batch.messages) {
    let state = seqs.get(m.clientId);
    if (state === undefined) {
      const row = s.clientSeq.get(m.clientId) as [number, string, number, number] | undefined;
      state = row === undefined ? null : { no: row[0], appId: row[1], lastSeq: row[2], ackedSeq: row[3], dirty: false, pending: null };
      seqs.set(m.clientId, state);
    }
    if (state === null || state.appId !== m.appId) {
      // An idempotent retry still finds its message, even if the client is now unknown.
      const existing = s.messageById.get(m.appId, m.id) as MessageRow | undefined;
      messages.push(existing === undefined ? { kind: 'unknown-client' } : { kind: 'duplicate', existing: toMessageRecord(existing) });
      continue;
    }
    if (state.lastSeq - state.ackedSeq >= maxPending) {
      state.pending ??= s.countPendingByNo.get(state.no, batch.at) as number;
      if (state.pending >= maxPending) {
        // Full: an idempotent retry of a stored message still reads as its duplicate.
        const existing = s.messageById.get(m.appId, m.id) as MessageRow | undefined;
        messages.push(existing === undefined ? { kind: 'client-full' } : { kind: 'duplicate', existing: toMessageRecord(existing) });
        continue;
      }
    }
    const seq = state.lastSeq + 1;
    const { changes } = s.insertMessage.run(m.appId, m.id, state.no, seq, m.payload, m.createdAt, m.expiresAt, m.fingerprint ?? null);
    if (changes === 1) {
      state.lastSeq = seq;
      state.dirty = true;
      if (state.pending !== null) state.pending++;
      messages.push({ kind: 'inserted', seq });
    } else {
      messages.push({ kind: 'duplicate', existing: toMessageRecord(s.messageById.get(m.appId, m.id) as MessageRow) });
    }
  }
  for (const state of seqs.values()) {
    if (state !== null && state.dirty) s.setLastSeq.run(state.lastSeq, state.no);
  }
  return messages;
}

/** The delivered and acked marks (with their webhook events and receipts), then the last-seen marks. */
function markSeqs(s: Statements, webhooks: WebhookEventWrites, batch: WriteBatch): void {
  const at = batch.at;
  for (const mark of batch.delivered) {
    const params = { at, clientId: mark.clientId, uptoSeq: mark.uptoSeq };
    webhooks.delivered(params);
    s.markDelivered.run(params);
  }
  for (const mark of batch.acked) {
    const params = { at, clientId: mark.clientId, uptoSeq: mark.uptoSeq };
    webhooks.acked(params);
    s.markAcked.run(params);
    s.raiseAckedSeq.run(mark.uptoSeq, mark.clientId);
    if (mark.receipts !== undefined && mark.receipts.length > 0) keepReceipts(s, mark.clientId, mark.receipts, at);
  }
  for (const clientId of batch.seen) s.setLastSeen.run(at, clientId);
}

/**
 * Inside the commit, after the ack mark: each receipt's row, and one range UPDATE that links
 * it from the acked messages its list spans (first to last seq), instead of one UPDATE per
 * message. That is sound because the server verified, before the mark reached the store,
 * that the client signed exactly the (seq, id) list this connection delivered, in seq order:
 * the seqs in between that the list skips were not pending when the connection read them
 * (expired, or acked already), so the ack did not move them. The range is the list's, not
 * (fromSeq, uptoSeq]: fromSeq is per connection (0 for its first ACK), and that range would
 * claim messages acked unsigned before (while the app had receipts off). getReceipt answers
 * only for a message the list names, so a stray link can never show a receipt that does not
 * cover its message.
 */
function keepReceipts(s: Statements, clientId: string, receipts: Receipts, at: number): void {
  const clientNo = s.clientNo.get(clientId) as number | undefined;
  if (clientNo === undefined) return;
  for (const receipt of receipts) {
    const covered = encodeCoveredList(receipt.messages);
    const { lastInsertRowid } = s.insertReceipt.run(clientNo, receipt.fromSeq, receipt.uptoSeq, covered, receipt.signature, at);
    const first = receipt.messages[0];
    const last = receipt.messages[receipt.messages.length - 1];
    if (first !== undefined && last !== undefined) s.linkReceipts.run(lastInsertRowid, clientNo, first.seq, last.seq);
  }
}

/** The audit records of one commit (see the port): derived from the batch and its outcomes. */
function auditCommit(chain: AuditChain, batch: WriteBatch, outcomes: readonly MessageOutcome[]): void {
  const { events, ackIndex } = commitAuditEvents(batch, outcomes);
  if (events.length === 0) return;
  const first = chain.append(events, batch.at);
  if (ackIndex >= 0) {
    const ackSeq = first + ackIndex;
    for (const mark of batch.acked) chain.indexAck(mark.clientId, mark.uptoSeq, ackSeq);
  }
}
