/**
 * Store on SQLite (better-sqlite3): the embedded default, one file on local disk.
 *
 * Durability. The database runs in WAL mode. With `durability: 'full'` (the default) every
 * commit fsyncs the WAL before it returns, so a 202 means the batch survives `kill -9`, an
 * OS crash and a power loss. With `'normal'` the WAL is fsynced only at checkpoints: a
 * committed batch still survives `kill -9` of the process (the OS holds the written WAL
 * pages), but the last commits before a power loss or kernel panic may be lost. The file is
 * never corrupted by either kind of crash.
 *
 * Sharing. A CLI process and the server may open the same file at once: readers never
 * block in WAL mode, and writers wait up to `busyTimeoutMs` for the write lock.
 *
 * better-sqlite3 is synchronous: each method runs to completion on the calling thread, so
 * the store needs no locking of its own, and a resolved `commit` has already been written.
 */
import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { DeletedApp } from '../../../domain/ports/app-registry.js';
import type { ForgetResult } from '../../../domain/ports/client-registry.js';
import type { ClientLastSeq, CommitResult, MessageOutcome, WriteBatch } from '../../../domain/ports/message-log.js';
import type { Store } from '../../../domain/ports/store.js';
import type { Logger } from '../../../domain/ports/runtime.js';
import type {
  App,
  Client,
  DeliverySettings,
  ForgottenClient,
  MessageRecord,
  SealedPending,
  StoredApp,
  StoredJwtKey,
  StoredAdminToken,
  AppPendingCount,
  StoredReceipt,
  StoredServerKey,
  WrappedBlob,
  WrappedColumn,
} from '../../../domain/types.js';
import { encodeCoveredList } from '../../../crypto/ack-receipt.js';
import { migrate } from './schema.js';
import { STATUS_CODE } from '../shared/rows.js';
import { sqliteForgetter, type ForgetClient } from './forget.js';
import { sqliteAppAdmin, type SqliteAppAdmin } from './apps.js';
import { STALE_CLIENTS_SQL } from '../shared/stale-clients.js';
import {
  APP_COLUMNS,
  CLIENT_COLUMNS,
  commitAuditEvents,
  deliveryOf,
  isEmpty,
  storedDelivery,
  toAuditRecord,
  toCheckpoint,
  toClient,
  toMessageRecord,
  toReceipt,
  toAdminToken,
  toStoredApp,
  type AdminTokenRow,
  type AppRow,
  toServerKey,
  toTombstone,
  type AuditRow,
  type CheckpointRow,
  type ClientRow,
  type MessageRow,
  type ReceiptRow,
  type ServerKeyRow,
  type TombstoneRow,
} from '../shared/rows.js';
import {
  expireEvent,
  type AuditCheckpoint,
  type AuditEvent,
  type AuditHead,
  type AuditRecord,
} from '../../../domain/audit.js';
import { auditRecordHash } from '../../../crypto/node/audit.js';

export type SqliteDurability = 'full' | 'normal';

export interface SqliteStoreOptions {
  /** The database file; created with its schema on first open. */
  readonly path: string;
  /** 'full' (default): fsync every commit. 'normal': survives a process crash, not a power loss. */
  readonly durability?: SqliteDurability;
  /** How long a write waits for another process's write lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Page cache of this connection. Default 64 MiB: the message indexes stay in memory. */
  readonly cacheSizeMiB?: number;
  /**
   * WAL size (in 4 KiB pages) that triggers a checkpoint. Default 16384 (64 MiB). SQLite's
   * own default (1000) checkpoints after nearly every group commit of 1000 messages,
   * writing each page twice; a larger WAL writes a page rewritten by many commits once.
   */
  readonly walCheckpointPages?: number;
  /**
   * Most pending (queued or delivered, unexpired) messages one client may hold; a message past
   * it is refused ('client-full'), never dropped later. Default 10000.
   */
  readonly maxPendingPerClient?: number;
  readonly logger?: Logger;
}


/**
 * Where each wrapped column lives: its table, primary key columns (in key order), blob column,
 * and which rows hold a wrapped blob at all. A new wrapped column is one more entry.
 */
const WRAPPED_COLUMNS: Readonly<Record<WrappedColumn, { table: string; key: readonly string[]; blob: string; where: string }>> = {
  'apps.wrapped_secret': { table: 'apps', key: ['id'], blob: 'wrapped_secret', where: '1 = 1' },
  'apps.previous_wrapped_secret': { table: 'apps', key: ['id'], blob: 'previous_wrapped_secret', where: '1 = 1' },
  'server_keys.wrapped_secret': { table: 'server_keys', key: ['purpose', 'version'], blob: 'wrapped_secret', where: '1 = 1' },
  // EdDSA and ES256 rows hold a public JWK, not a wrapped blob.
  'app_jwt_keys.key_material': { table: 'app_jwt_keys', key: ['issuer', 'kid'], blob: 'key_material', where: "alg = 'HS256'" },
};

/** The page read and the compare-and-set of one wrapped column, in plain SQL. */
function wrappedStatements(db: Database.Database, column: WrappedColumn) {
  const { table, key, blob, where } = WRAPPED_COLUMNS[column];
  const keyList = key.join(', ');
  const marks = key.map(() => '?').join(', ');
  const select = `SELECT ${keyList}, ${blob} AS blob FROM ${table} WHERE ${where} AND ${blob} IS NOT NULL`;
  return {
    first: db.prepare(`${select} ORDER BY ${keyList} LIMIT ?`),
    after: db.prepare(`${select} AND (${keyList}) > (${marks}) ORDER BY ${keyList} LIMIT ?`),
    replace: db.prepare(`UPDATE ${table} SET ${blob} = ? WHERE ${key.map((k) => `${k} = ?`).join(' AND ')} AND ${blob} = ?`),
    key,
  };
}

/**
 * A client's sequence state during one commit: read once, written back once. `pending` is
 * counted only once `lastSeq - ackedSeq` reaches the limit (an upper bound that also counts
 * expired messages), so a client far from it costs no count.
 */
interface SeqState { readonly no: number; readonly appId: string; readonly ackedSeq: number; lastSeq: number; dirty: boolean; pending: number | null }

/** A message with its client's public id (messages hold the client's internal number). */
const MESSAGE_RECORD = `SELECT m.app_id, m.id, c.id AS client_id, m.seq, m.status, m.created_at, m.expires_at,
  m.delivered_at, m.acked_at, m.fingerprint FROM messages m JOIN clients c ON c.no = m.client_no`;
/**
 * The pending range of one client's messages. Every seq <= clients.acked_seq is acked or
 * expired, so the (client_no, seq) index scan starts above it and never walks history.
 */
const CLIENT_RANGE = `client_no = (SELECT no FROM clients WHERE id = @clientId)
  AND seq > COALESCE((SELECT acked_seq FROM clients WHERE id = @clientId), 0)`;
const { queued: QUEUED, delivered: DELIVERED, acked: ACKED, expired: EXPIRED } = STATUS_CODE;

function prepareStatements(db: Database.Database) {
  return {
    insertApp: db.prepare('INSERT INTO apps (id, name, wrapped_secret, created_at, delivery, receipts) VALUES (?, ?, ?, ?, ?, ?)'),
    appById: db.prepare(`SELECT ${APP_COLUMNS} FROM apps WHERE id = ?`),
    allApps: db.prepare('SELECT id, name, created_at, delivery, receipts FROM apps ORDER BY created_at, id'),
    setAppDelivery: db.prepare('UPDATE apps SET delivery = ? WHERE id = ?'),
    setAppReceipts: db.prepare('UPDATE apps SET receipts = ? WHERE id = ?'),
    setAppSigningKey: db.prepare('UPDATE apps SET signing_key = ? WHERE id = ?'),
    insertJwtKey: db.prepare(
      `INSERT INTO app_jwt_keys (issuer, kid, app_id, alg, key_material, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (issuer, kid) DO NOTHING`,
    ),
    insertAdminToken: db.prepare('INSERT INTO admin_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    adminToken: db.prepare('SELECT id, name, token_hash, created_at FROM admin_tokens WHERE id = ?'),
    adminTokens: db.prepare('SELECT id, name, token_hash, created_at FROM admin_tokens ORDER BY created_at, id'),
    deleteAdminToken: db.prepare('DELETE FROM admin_tokens WHERE id = ?'),
    jwtKey: db.prepare('SELECT issuer, kid, app_id, alg, key_material, created_at FROM app_jwt_keys WHERE issuer = ? AND kid = ?'),

    insertClient: db.prepare(
      `INSERT INTO clients (id, app_id, static_key, key_salt, last_seq, acked_seq, created_at, last_seen_at, ack_key, hpke_key)
       VALUES (?, ?, ?, ?, 0, 0, ?, NULL, ?, ?) ON CONFLICT (app_id, static_key) DO NOTHING`,
    ),
    setAckKeyIfNone: db.prepare('UPDATE clients SET ack_key = ? WHERE app_id = ? AND id = ? AND ack_key IS NULL'),
    clientNo: db.prepare('SELECT no FROM clients WHERE id = ?').pluck(),
    insertReceipt: db.prepare(
      `INSERT INTO ack_receipts (client_no, from_seq, upto_seq, covered, signature, acked_at) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    // One statement per receipt, over the seqs its list spans: only acked messages, and only
    // once (the first receipt stays the proof). See #keepReceipts for why a range is enough.
    linkReceipts: db.prepare(
      `UPDATE messages SET receipt_no = ? WHERE client_no = ? AND seq >= ? AND seq <= ? AND status = ${ACKED} AND receipt_no IS NULL`,
    ),
    receiptOf: db.prepare(
      `SELECT c.id AS client_id, m.seq, r.from_seq, r.upto_seq, r.covered, r.signature, r.acked_at
       FROM messages m JOIN ack_receipts r ON r.no = m.receipt_no JOIN clients c ON c.no = r.client_no
       WHERE m.app_id = ? AND m.id = ?`,
    ),
    setClientHpkeKey: db.prepare('UPDATE clients SET hpke_key = ? WHERE app_id = ? AND id = ?'),
    clientById: db.prepare(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? AND id = ?`),
    clientByKey: db.prepare(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? AND static_key = ?`),
    clientSeq: db.prepare('SELECT no, app_id, last_seq, acked_seq FROM clients WHERE id = ?').raw(true),
    countPendingByNo: db.prepare(
      `SELECT COUNT(*) FROM messages m JOIN clients c ON c.no = m.client_no
       WHERE m.client_no = ? AND m.seq > c.acked_seq AND m.status < ${ACKED} AND m.expires_at > ?`,
    ).pluck(),
    setLastSeq: db.prepare('UPDATE clients SET last_seq = ? WHERE no = ?'),
    raiseAckedSeq: db.prepare('UPDATE clients SET acked_seq = MAX(acked_seq, MIN(?, last_seq)) WHERE id = ?'),
    setLastSeen: db.prepare('UPDATE clients SET last_seen_at = ? WHERE id = ?'),

    // ON CONFLICT names the (app_id, id) key only: any other violation still aborts the batch.
    insertMessage: db.prepare(
      `INSERT INTO messages (app_id, id, client_no, seq, status, payload, created_at, expires_at, fingerprint)
       VALUES (?, ?, ?, ?, ${QUEUED}, ?, ?, ?, ?) ON CONFLICT (app_id, id) DO NOTHING`,
    ),
    messageById: db.prepare(`${MESSAGE_RECORD} WHERE m.app_id = ? AND m.id = ?`),
    markDelivered: db.prepare(
      `UPDATE messages SET status = ${DELIVERED}, delivered_at = @at
       WHERE ${CLIENT_RANGE} AND seq <= @uptoSeq AND status = ${QUEUED} AND expires_at > @at`,
    ),
    markAcked: db.prepare(
      `UPDATE messages SET status = ${ACKED}, acked_at = @at, delivered_at = COALESCE(delivered_at, @at), payload = NULL
       WHERE ${CLIENT_RANGE} AND seq <= @uptoSeq
         AND (status = ${DELIVERED} OR (status = ${QUEUED} AND expires_at > @at))`,
    ),
    pending: db.prepare(
      `SELECT seq, id, app_id, created_at, payload FROM messages
       WHERE ${CLIENT_RANGE} AND seq > @afterSeq
         AND status < ${ACKED} AND expires_at > @now
       ORDER BY seq LIMIT @limit`,
    ),
    // One statement for any number of ids: they arrive as one JSON array.
    lastSeqs: db.prepare('SELECT id, last_seq FROM clients WHERE id IN (SELECT value FROM json_each(?))'),
    countPending: db.prepare(
      `SELECT COUNT(*) FROM messages
       WHERE ${CLIENT_RANGE} AND status < ${ACKED} AND expires_at > @now`,
    ).pluck(),

    countPendingByApp: db.prepare(
      `SELECT app_id, COUNT(*) AS pending FROM messages
       WHERE status < ${ACKED} AND expires_at > ? GROUP BY app_id ORDER BY app_id`,
    ),

    purge: db.prepare(
      `DELETE FROM messages WHERE rowid IN (
         SELECT rowid FROM messages WHERE status >= ${ACKED} AND created_at < ? LIMIT ?)`,
    ),

    latestServerKey: db.prepare(
      `SELECT purpose, version, public_key, wrapped_secret, created_at, not_after FROM server_keys
       WHERE purpose = ? ORDER BY version DESC LIMIT 1`,
    ),
    allServerKeys: db.prepare(
      `SELECT purpose, version, public_key, wrapped_secret, created_at, not_after FROM server_keys
       WHERE purpose = ? ORDER BY version DESC`,
    ),
    tombstonesAfter: db.prepare(
      'SELECT seq, client_id, app_id, forgotten_at FROM forgotten_clients WHERE seq > ? ORDER BY seq LIMIT ?',
    ),
    lastTombstone: db.prepare('SELECT COALESCE(MAX(seq), 0) FROM forgotten_clients').pluck(),
    insertServerKey: db.prepare(
      'INSERT INTO server_keys (purpose, version, public_key, wrapped_secret, created_at, not_after) VALUES (?, ?, ?, ?, ?, NULL)',
    ),
    endServerKey: db.prepare(
      'UPDATE server_keys SET not_after = ? WHERE purpose = ? AND version = ? AND (not_after IS NULL OR not_after > ?)',
    ),
    pruneServerKeys: db.prepare('DELETE FROM server_keys WHERE purpose = ? AND not_after IS NOT NULL AND not_after <= ?'),
    ping: db.prepare('SELECT 1').pluck(),

    // On a server database: SELECT ... FOR UPDATE (SQLite's write transaction already serializes).
    auditHead: db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1'),
    setAuditHead: db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1'),
    insertAudit: db.prepare('INSERT INTO audit_log (seq, at, kind, fields, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)'),
    insertAuditAck: db.prepare('INSERT INTO audit_acks (client_id, upto_seq, record_seq) VALUES (?, ?, ?)'),
    auditRecords: db.prepare('SELECT seq, at, kind, fields, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?'),
    auditRecord: db.prepare('SELECT seq, at, kind, fields, prev_hash, hash FROM audit_log WHERE seq = ?'),
    auditAckFor: db.prepare('SELECT record_seq FROM audit_acks WHERE client_id = ? AND upto_seq >= ? ORDER BY upto_seq, record_seq LIMIT 1').pluck(),
    insertCheckpoint: db.prepare(
      `INSERT INTO audit_checkpoints (seq, head_hash, at, key_version, signature) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (seq) DO NOTHING`,
    ),
    checkpoints: db.prepare('SELECT seq, head_hash, at, key_version, signature FROM audit_checkpoints WHERE seq > ? ORDER BY seq LIMIT ?'),
    latestCheckpoint: db.prepare('SELECT seq, head_hash, at, key_version, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1'),
    // Expiry selects what it expires (for its audit record), then marks exactly those rows.
    dueMessages: db.prepare(
      `SELECT m.rowid, m.app_id, m.id, c.id AS client_id, m.seq FROM messages m JOIN clients c ON c.no = m.client_no
       WHERE m.status < ${ACKED} AND m.expires_at <= ? ORDER BY m.expires_at LIMIT ?`,
    ).raw(true),
    expireRow: db.prepare(`UPDATE messages SET status = ${EXPIRED}, payload = NULL WHERE rowid = ?`),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #stmts: Statements;
  readonly #commit: Database.Transaction<(batch: WriteBatch) => CommitResult>;
  readonly #putServerKey: Database.Transaction<(key: StoredServerKey) => StoredServerKey>;
  readonly #appendAudit: Database.Transaction<(events: readonly AuditEvent[], at: number) => void>;
  readonly #expire: Database.Transaction<(now: number, limit: number) => number>;
  readonly #forget: ForgetClient;
  readonly #apps: SqliteAppAdmin;
  readonly #addServerKeyVersion: Database.Transaction<(key: StoredServerKey, previousNotAfter: number) => boolean>;
  readonly #wrapped = new Map<WrappedColumn, ReturnType<typeof wrappedStatements>>();
  readonly #maxPending: number;

  /** Use openSqliteStore. */
  constructor(db: Database.Database, maxPendingPerClient = 10_000) {
    this.#db = db;
    this.#maxPending = maxPendingPerClient;
    this.#stmts = prepareStatements(db);
    this.#commit = db.transaction((batch: WriteBatch) => this.#apply(batch));
    this.#putServerKey = db.transaction((key: StoredServerKey) => {
      const existing = this.#stmts.latestServerKey.get(key.purpose) as ServerKeyRow | undefined;
      if (existing !== undefined) return toServerKey(existing);
      this.#stmts.insertServerKey.run(key.purpose, key.version, key.publicKey, key.wrappedSecret, key.createdAt);
      return key;
    });
    this.#appendAudit = db.transaction((events: readonly AuditEvent[], at: number) => {
      this.#chain(events, at);
    });
    this.#expire = db.transaction((now: number, limit: number) => {
      const rows = this.#stmts.dueMessages.all(now, limit) as [number, string, string, string, number][];
      for (const row of rows) this.#stmts.expireRow.run(row[0]);
      if (rows.length > 0) this.#chain([expireEvent(rows.map(([, appId, id, clientId, seq]) => [appId, id, clientId, seq]))], now);
      return rows.length;
    });
    this.#forget = sqliteForgetter(db);
    this.#apps = sqliteAppAdmin(db);
    this.#addServerKeyVersion = db.transaction((key: StoredServerKey, previousNotAfter: number) => {
      const s = this.#stmts;
      const latest = s.latestServerKey.get(key.purpose) as ServerKeyRow | undefined;
      if ((latest?.version ?? 0) !== key.version - 1) return false;
      s.insertServerKey.run(key.purpose, key.version, key.publicKey, key.wrappedSecret, key.createdAt);
      if (latest) s.endServerKey.run(previousNotAfter, key.purpose, latest.version, previousNotAfter);
      s.pruneServerKeys.run(key.purpose, key.createdAt);
      return true;
    });
  }

  #wrappedColumn(column: WrappedColumn): ReturnType<typeof wrappedStatements> {
    let statements = this.#wrapped.get(column);
    if (!statements) {
      if (!Object.hasOwn(WRAPPED_COLUMNS, column)) throw new Error(`sqlite store: no wrapped column ${String(column)}`);
      this.#wrapped.set(column, (statements = wrappedStatements(this.#db, column)));
    }
    return statements;
  }

  /**
   * Appends `events` to the chain; runs inside the caller's transaction. Returns the seq of
   * the first record appended.
   */
  #chain(events: readonly AuditEvent[], at: number): number {
    const s = this.#stmts;
    const head = s.auditHead.get() as { seq: number; hash: Buffer };
    let seq = head.seq;
    let prevHash: Uint8Array = head.hash;
    for (const event of events) {
      seq++;
      const record = { seq, at, kind: event.kind, fields: event.fields, prevHash };
      const hash = auditRecordHash(record);
      s.insertAudit.run(seq, at, event.kind, event.fields, prevHash, hash);
      prevHash = hash;
    }
    if (events.length > 0) s.setAuditHead.run(seq, prevHash);
    return head.seq + 1;
  }

  /** The audit records of one commit (see the port): derived from the batch and its outcomes. */
  #auditCommit(batch: WriteBatch, outcomes: readonly MessageOutcome[]): void {
    const { events, ackIndex } = commitAuditEvents(batch, outcomes);
    if (events.length === 0) return;
    const first = this.#chain(events, batch.at);
    if (ackIndex >= 0) {
      const ackSeq = first + ackIndex;
      for (const mark of batch.acked) this.#stmts.insertAuditAck.run(mark.clientId, mark.uptoSeq, ackSeq);
    }
  }

  async commit(batch: WriteBatch): Promise<CommitResult> {
    if (isEmpty(batch)) return { messages: [], clients: [] };
    // IMMEDIATE takes the write lock up front, so a concurrent writer in another process
    // waits at BEGIN (busy_timeout) instead of failing at its first write.
    return this.#commit.immediate(batch);
  }

  /** The body of one group commit; runs inside the transaction. */
  #apply(batch: WriteBatch): CommitResult {
    const s = this.#stmts;

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
      if (state.lastSeq - state.ackedSeq >= this.#maxPending) {
        state.pending ??= s.countPendingByNo.get(state.no, batch.at) as number;
        if (state.pending >= this.#maxPending) {
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

    const at = batch.at;
    for (const mark of batch.delivered) {
      s.markDelivered.run({ at, clientId: mark.clientId, uptoSeq: mark.uptoSeq });
    }
    for (const mark of batch.acked) {
      s.markAcked.run({ at, clientId: mark.clientId, uptoSeq: mark.uptoSeq });
      s.raiseAckedSeq.run(mark.uptoSeq, mark.clientId);
      if (mark.receipts !== undefined && mark.receipts.length > 0) this.#keepReceipts(mark.clientId, mark.receipts, at);
    }
    for (const clientId of batch.seen) s.setLastSeen.run(at, clientId);

    this.#auditCommit(batch, messages);
    return { messages, clients };
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
  #keepReceipts(clientId: string, receipts: NonNullable<WriteBatch['acked'][number]['receipts']>, at: number): void {
    const s = this.#stmts;
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

  async createApp(app: StoredApp): Promise<void> {
    this.#stmts.insertApp.run(app.id, app.name, app.wrappedSecret, app.createdAt, storedDelivery(app.delivery), app.receipts === true ? 1 : 0);
  }

  async getApp(appId: string): Promise<StoredApp | undefined> {
    const row = this.#stmts.appById.get(appId) as AppRow | undefined;
    return row === undefined ? undefined : toStoredApp(row);
  }

  async rotateAppSecret(appId: string, wrappedSecret: Uint8Array, previousNotAfter: number): Promise<boolean> {
    return this.#apps.rotateSecret(appId, wrappedSecret, previousNotAfter);
  }

  async deleteApp(appId: string, at: number): Promise<DeletedApp | undefined> {
    return this.#apps.deleteApp(appId, at);
  }

  async listClients(appId: string | undefined, limit: number): Promise<Client[]> {
    return this.#apps.listClients(appId, limit);
  }

  async listApps(): Promise<App[]> {
    const rows = this.#stmts.allApps.all() as Omit<AppRow, 'wrapped_secret'>[];
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at, delivery: deliveryOf(row), receipts: row.receipts === 1 }));
  }

  async updateAppDelivery(appId: string, delivery: DeliverySettings): Promise<boolean> {
    return this.#stmts.setAppDelivery.run(storedDelivery(delivery), appId).changes === 1;
  }

  async setAppReceipts(appId: string, receipts: boolean): Promise<boolean> {
    return this.#stmts.setAppReceipts.run(receipts ? 1 : 0, appId).changes === 1;
  }

  async setAppSigningKey(appId: string, key: Uint8Array | null): Promise<boolean> {
    return this.#stmts.setAppSigningKey.run(key, appId).changes === 1;
  }

  async addJwtKey(key: StoredJwtKey): Promise<boolean> {
    return this.#stmts.insertJwtKey.run(key.issuer, key.kid, key.appId, key.alg, key.keyMaterial, key.createdAt).changes === 1;
  }

  async findJwtKey(issuer: string, kid: string): Promise<StoredJwtKey | undefined> {
    const row = this.#stmts.jwtKey.get(issuer, kid) as
      { issuer: string; kid: string; app_id: string; alg: StoredJwtKey['alg']; key_material: Buffer; created_at: number } | undefined;
    if (row === undefined) return undefined;
    return { issuer: row.issuer, kid: row.kid, appId: row.app_id, alg: row.alg, keyMaterial: row.key_material, createdAt: row.created_at };
  }

  async addAdminToken(token: StoredAdminToken): Promise<boolean> {
    return this.#stmts.insertAdminToken.run(token.id, token.name, token.tokenHash, token.createdAt).changes === 1;
  }

  async findAdminToken(id: string): Promise<StoredAdminToken | undefined> {
    const row = this.#stmts.adminToken.get(id) as AdminTokenRow | undefined;
    return row === undefined ? undefined : toAdminToken(row);
  }

  async listAdminTokens(): Promise<StoredAdminToken[]> {
    return (this.#stmts.adminTokens.all() as AdminTokenRow[]).map(toAdminToken);
  }

  async removeAdminToken(id: string): Promise<boolean> {
    return this.#stmts.deleteAdminToken.run(id).changes === 1;
  }

  async getClient(appId: string, clientId: string): Promise<Client | undefined> {
    const row = this.#stmts.clientById.get(appId, clientId) as ClientRow | undefined;
    return row === undefined ? undefined : toClient(row);
  }

  async setClientHpkeKey(appId: string, clientId: string, key: Uint8Array | null): Promise<boolean> {
    return this.#stmts.setClientHpkeKey.run(key, appId, clientId).changes === 1;
  }

  async findClientByKey(appId: string, staticKey: Uint8Array): Promise<Client | undefined> {
    const row = this.#stmts.clientByKey.get(appId, staticKey) as ClientRow | undefined;
    return row === undefined ? undefined : toClient(row);
  }

  async registerAckKey(appId: string, clientId: string, ackKey: Uint8Array): Promise<Uint8Array | undefined> {
    this.#stmts.setAckKeyIfNone.run(ackKey, appId, clientId);
    return (await this.getClient(appId, clientId))?.ackKey;
  }

  async getReceipt(appId: string, messageId: string): Promise<StoredReceipt | undefined> {
    const row = this.#stmts.receiptOf.get(appId, messageId) as (ReceiptRow & { seq: number }) | undefined;
    if (row === undefined) return undefined;
    const receipt = toReceipt(row);
    // The link is by seq range (#keepReceipts): it is the proof of this message only if it names it.
    return receipt.messages.some((m) => m.seq === row.seq && m.id === messageId) ? receipt : undefined;
  }

  async getMessage(appId: string, messageId: string): Promise<MessageRecord | undefined> {
    const row = this.#stmts.messageById.get(appId, messageId) as MessageRow | undefined;
    return row === undefined ? undefined : toMessageRecord(row);
  }

  async pendingMessages(clientId: string, afterSeq: number, limit: number, now: number): Promise<SealedPending[]> {
    const rows = this.#stmts.pending.all({ clientId, afterSeq, now, limit }) as
      { seq: number; id: string; app_id: string; created_at: number; payload: Buffer }[];
    return rows.map((row) => ({ seq: row.seq, id: row.id, appId: row.app_id, createdAt: row.created_at, payload: row.payload }));
  }

  async countPending(clientId: string, now: number): Promise<number> {
    return this.#stmts.countPending.get({ clientId, now }) as number;
  }

  async countPendingByApp(now: number): Promise<AppPendingCount[]> {
    const rows = this.#stmts.countPendingByApp.all(now) as { app_id: string; pending: number }[];
    return rows.map((row) => ({ appId: row.app_id, pending: row.pending }));
  }

  async lastSeqs(clientIds: readonly string[]): Promise<ClientLastSeq[]> {
    const rows = this.#stmts.lastSeqs.all(JSON.stringify(clientIds)) as { id: string; last_seq: number }[];
    return rows.map((row) => ({ clientId: row.id, lastSeq: row.last_seq }));
  }

  async expireMessages(now: number, limit: number): Promise<number> {
    return this.#expire.immediate(now, limit);
  }

  async purgeMessages(createdBefore: number, limit: number): Promise<number> {
    return this.#stmts.purge.run(createdBefore, limit).changes;
  }

  /** Receipts, messages and row in one secure_delete transaction, then the WAL truncated (sqlite/forget.ts). */
  async forgetClient(clientId: string, appId: string | undefined, at: number, staleBefore?: number): Promise<ForgetResult | undefined> {
    return this.#forget(clientId, appId, at, staleBefore);
  }

  async staleClients(seenBefore: number, limit: number): Promise<string[]> {
    return this.#db.prepare(`${STALE_CLIENTS_SQL} ?`).pluck().all(seenBefore, limit) as string[];
  }

  async forgottenAfter(afterSeq: number, limit: number): Promise<ForgottenClient[]> {
    return (this.#stmts.tombstonesAfter.all(afterSeq, limit) as TombstoneRow[]).map(toTombstone);
  }

  async lastForgottenSeq(): Promise<number> {
    return this.#stmts.lastTombstone.get() as number;
  }

  async getServerKey(purpose: string): Promise<StoredServerKey | undefined> {
    const row = this.#stmts.latestServerKey.get(purpose) as ServerKeyRow | undefined;
    return row === undefined ? undefined : toServerKey(row);
  }

  async putServerKeyIfAbsent(key: StoredServerKey): Promise<StoredServerKey> {
    return this.#putServerKey.immediate(key);
  }

  async appendAudit(events: readonly AuditEvent[], at: number): Promise<void> {
    if (events.length > 0) this.#appendAudit.immediate(events, at);
  }

  async auditHead(): Promise<AuditHead> {
    const row = this.#stmts.auditHead.get() as { seq: number; hash: Buffer };
    return { seq: row.seq, hash: row.hash };
  }

  async auditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return (this.#stmts.auditRecords.all(afterSeq, limit) as AuditRow[]).map(toAuditRecord);
  }

  async findAckRecord(clientId: string, seq: number): Promise<AuditRecord | undefined> {
    const recordSeq = this.#stmts.auditAckFor.get(clientId, seq) as number | undefined;
    if (recordSeq === undefined) return undefined;
    const row = this.#stmts.auditRecord.get(recordSeq) as AuditRow | undefined;
    return row === undefined ? undefined : toAuditRecord(row);
  }

  async addAuditCheckpoint(c: AuditCheckpoint): Promise<boolean> {
    return this.#stmts.insertCheckpoint.run(c.seq, c.headHash, c.at, c.keyVersion, c.signature).changes === 1;
  }

  async auditCheckpoints(afterSeq: number, limit: number): Promise<AuditCheckpoint[]> {
    return (this.#stmts.checkpoints.all(afterSeq, limit) as CheckpointRow[]).map(toCheckpoint);
  }

  async latestAuditCheckpoint(): Promise<AuditCheckpoint | undefined> {
    const row = this.#stmts.latestCheckpoint.get() as CheckpointRow | undefined;
    return row === undefined ? undefined : toCheckpoint(row);
  }

  async listServerKeys(purpose: string): Promise<StoredServerKey[]> {
    return (this.#stmts.allServerKeys.all(purpose) as ServerKeyRow[]).map(toServerKey);
  }

  async addServerKeyVersion(key: StoredServerKey, previousNotAfter: number): Promise<boolean> {
    return this.#addServerKeyVersion.immediate(key, previousNotAfter);
  }

  async wrappedBlobs(column: WrappedColumn, after: readonly (string | number)[] | null, limit: number): Promise<WrappedBlob[]> {
    const w = this.#wrappedColumn(column);
    const rows = (after === null ? w.first.all(limit) : w.after.all(...after, limit)) as Record<string, string | number | Buffer>[];
    return rows.map((row) => ({ key: w.key.map((k) => row[k] as string | number), blob: row.blob as Buffer }));
  }

  async replaceWrappedBlobs(
    column: WrappedColumn,
    changes: readonly { readonly key: readonly (string | number)[]; readonly expected: Uint8Array; readonly replacement: Uint8Array }[],
  ): Promise<number> {
    const w = this.#wrappedColumn(column);
    const apply = this.#db.transaction(() => {
      let replaced = 0;
      for (const change of changes) replaced += w.replace.run(change.replacement, ...change.key, change.expected).changes;
      return replaced;
    });
    return apply.immediate();
  }

  async ping(): Promise<void> {
    this.#stmts.ping.get();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

/** Opens (creating if needed) the database at `path` and brings its schema up to date. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const durability = options.durability ?? 'full';
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const cacheSizeMiB = options.cacheSizeMiB ?? 64;
  const walCheckpointPages = options.walCheckpointPages ?? 16384;
  if (options.path !== ':memory:') {
    // Create the file owner-only before SQLite does: its -wal and -shm files copy the mode.
    closeSync(openSync(options.path, 'a', 0o600));
  }
  const db = new Database(options.path, { timeout: busyTimeoutMs });
  try {
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // Zero what a row update or delete frees inside its page, at no extra I/O: an acked
    // message's sealed payload does not linger in free space. forgetClient turns it ON.
    db.pragma('secure_delete = FAST');
    db.pragma(`cache_size = ${-Math.trunc(cacheSizeMiB * 1024)}`);
    db.pragma(`wal_autocheckpoint = ${Math.trunc(walCheckpointPages)}`);
    const schemaVersion = migrate(db, Date.now());
    options.logger?.info({ path: options.path, durability, schemaVersion }, 'sqlite store open');
    return new SqliteStore(db, options.maxPendingPerClient);
  } catch (err) {
    db.close();
    throw err;
  }
}
