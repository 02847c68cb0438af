/**
 * Store on MySQL (mysql2, promise API): MySQL 8, MariaDB 10.11+, and any engine of
 * the MySQL protocol that takes plain SQL (TiDB, Vitess). Several nodes share one database.
 *
 * Durability: a resolved `commit` has been committed by InnoDB; with the server's default
 * innodb_flush_log_at_trx_commit=1 (and sync_binlog=1) it survives a crash of the database
 * host too. The driver does not change those settings (docs/deploy.md).
 *
 * Concurrency. Every transaction runs at READ COMMITTED, so each statement reads the latest
 * committed rows. The rows a transaction depends on are locked, always in this order:
 * clients (FOR UPDATE, by id: a client's last_seq, so seqs are assigned once across nodes),
 * then messages, then the audit head (FOR UPDATE: appends serialize across nodes, and their
 * seqs become visible in order). A deadlock, a lock-wait timeout, or a message id that another
 * node inserted meanwhile retries the transaction.
 *
 * Statements. Fixed-shape ones are prepared (`execute`, cached per connection). Lists of
 * variable length would prepare one statement per length, so they are cut into chunks of
 * power-of-two sizes: an IN list is padded by repeating its last value, a multi-row INSERT
 * is split (300 rows: 256 + 32 + 8 + 4; and at 4 MiB of values), which bounds the cache to a few shapes per statement.
 * LIMIT takes a validated integer in the text (MySQL 8 refuses a DOUBLE parameter there).
 */
import type { PoolConnection, PoolOptions, TypeCastField } from 'mysql2/promise';
import type { DeletedApp } from '../../../domain/ports/app-registry.js';
import { type ForgetResult, LIST_CLIENTS_MAX } from '../../../domain/ports/client-registry.js';
import type { ClientLastSeq, CommitResult, MessageOutcome, NewMessage, WriteBatch } from '../../../domain/ports/message-log.js';
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
import { expireEvent, type AuditCheckpoint, type AuditEvent, type AuditHead, type AuditRecord } from '../../../domain/audit.js';
import { auditRecordHash } from '../../../crypto/node/audit.js';
import { STATUS_CODE } from '../shared/rows.js';
import { MYSQL_SCHEMA_VERSION } from './schema.js';
import { readMysqlSchemaVersion } from './migrate.js';
import { forgetMysqlClient } from './forget.js';
import { ROTATE_APP_SECRET_SQL, deleteMysqlApp, listClientsSql } from './apps.js';
import { MysqlLink, isLinkError, linkSettings, type Param } from './link.js';
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

export interface MysqlStoreOptions {
  /** mysql://user:password@host:port/database */
  readonly url: string;
  /** Connections of this node's pool. Default 10. */
  readonly connectionLimit?: number;
  /** See SqliteStoreOptions.maxPendingPerClient. Default 10000. */
  readonly maxPendingPerClient?: number;
  readonly logger?: Logger;
}

/** The schema is not the one this build was made for: `serve` refuses to start. */
export class MysqlSchemaError extends Error {
  override name = 'MysqlSchemaError';
}

const { queued: QUEUED, delivered: DELIVERED, acked: ACKED, expired: EXPIRED } = STATUS_CODE;
const ER_DUP_ENTRY = 1062;
const RETRYABLE = new Set([1213 /* ER_LOCK_DEADLOCK */, 1205 /* ER_LOCK_WAIT_TIMEOUT */]);
const MAX_ATTEMPTS = 5;
const MAX_CHUNK = 256;

/** VARBINARY columns that hold text (see mysql/schema.ts): decoded as UTF-8 strings. */
const TEXT_COLUMNS = new Set(['id', 'app_id', 'client_id', 'purpose', 'issuer', 'kid', 'alg', 'kind']);

function typeCast(field: TypeCastField, next: () => unknown): unknown {
  if (field.type === 'VAR_STRING' && TEXT_COLUMNS.has(field.name)) return field.string('utf8');
  return next();
}

/** mysql2 sends a Buffer as bytes; a plain Uint8Array it would not. */
function bytes(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function bytesOrNull(value: Uint8Array | null | undefined): Buffer | null {
  return value == null ? null : bytes(value);
}

function int(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`mysql store: ${n} is not a whole number`);
  return n;
}

function errno(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'errno' in err ? (err as { errno: number }).errno : undefined;
}

/** `values` in chunks of power-of-two sizes, each padded by repeating its last value (for IN lists). */
function inLists<T>(values: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < values.length; i += MAX_CHUNK) {
    const chunk = values.slice(i, i + MAX_CHUNK);
    let size = 1;
    while (size < chunk.length) size *= 2;
    while (chunk.length < size) chunk.push(chunk[chunk.length - 1]!);
    chunks.push(chunk);
  }
  return chunks;
}

/** `rows` split into runs of power-of-two lengths (for multi-row INSERTs, which cannot repeat rows). */
function insertRuns<T>(rows: readonly T[]): T[][] {
  const runs: T[][] = [];
  let i = 0;
  while (i < rows.length) {
    let size = MAX_CHUNK;
    while (size > rows.length - i) size /= 2;
    runs.push(rows.slice(i, i + size));
    i += size;
  }
  return runs;
}

const marks = (n: number, width: number): string =>
  Array.from({ length: n }, () => `(${Array.from({ length: width }, () => '?').join(', ')})`).join(', ');
const list = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** A connection inside a transaction (`#tx`), with the link whose timeouts it runs under. */
interface Tx {
  readonly link: MysqlLink;
  readonly conn: PoolConnection;
}

/** The link (each statement on a pooled connection of its own) or a transaction's connection. */
type Conn = MysqlLink | Tx;

const statement = (conn: Conn, sql: string, params: readonly Param[]): Promise<unknown> =>
  conn instanceof MysqlLink ? conn.executeAlone(sql, params) : conn.link.execute(conn.conn, sql, params);

async function select<T>(conn: Conn, sql: string, params: readonly Param[] = []): Promise<T[]> {
  return (await statement(conn, sql, params)) as T[];
}

async function run(conn: Conn, sql: string, params: readonly Param[] = []): Promise<{ affectedRows: number; insertId: number }> {
  return (await statement(conn, sql, params)) as { affectedRows: number; insertId: number };
}

/**
 * Bytes of bound values per INSERT statement, well under max_allowed_packet (16 MiB by default
 * on MySQL 8 and MariaDB; 256 rows of 64 KiB payloads would pass it).
 */
const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

const sizeOf = (row: readonly Param[]): number =>
  row.reduce<number>((n, v) => n + (Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? Buffer.byteLength(v) : 8), 0);

/** Multi-row INSERT of `rows` (each `width` values) into `head` ("INSERT INTO t (a, b) VALUES"). */
async function insertMany(conn: Conn, head: string, width: number, rows: readonly Param[][]): Promise<void> {
  let group: Param[][] = [];
  let bytes_ = 0;
  const flush = async (): Promise<void> => {
    for (const run_ of insertRuns(group)) await run(conn, `${head} ${marks(run_.length, width)}`, run_.flat());
    group = [];
    bytes_ = 0;
  };
  for (const row of rows) {
    const size = sizeOf(row);
    if (group.length > 0 && bytes_ + size > MAX_STATEMENT_BYTES) await flush();
    group.push(row);
    bytes_ += size;
  }
  await flush();
}

interface SeqState { readonly no: number; readonly appId: string; readonly ackedSeq: number; lastSeq: number; dirty: boolean; pending: number | null }

/** Where each wrapped column lives (see the SQLite driver's table of the same name). */
const WRAPPED_COLUMNS: Readonly<Record<WrappedColumn, { table: string; key: readonly string[]; blob: string; where: string }>> = {
  'apps.wrapped_secret': { table: 'apps', key: ['id'], blob: 'wrapped_secret', where: '1 = 1' },
  'apps.previous_wrapped_secret': { table: 'apps', key: ['id'], blob: 'previous_wrapped_secret', where: '1 = 1' },
  'server_keys.wrapped_secret': { table: 'server_keys', key: ['purpose', 'version'], blob: 'wrapped_secret', where: '1 = 1' },
  'app_jwt_keys.key_material': { table: 'app_jwt_keys', key: ['issuer', 'kid'], blob: 'key_material', where: "alg = 'HS256'" },
};

const MESSAGE_RECORD = `SELECT m.app_id, m.id, c.id AS client_id, m.seq, m.status, m.created_at, m.expires_at,
  m.delivered_at, m.acked_at, m.fingerprint FROM messages m JOIN clients c ON c.no = m.client_no`;
const SERVER_KEY = 'SELECT purpose, version, public_key, wrapped_secret, created_at, not_after FROM server_keys WHERE purpose = ?';
const AUDIT_RECORD = 'SELECT seq, at, kind, fields, prev_hash, hash FROM audit_log';
const CHECKPOINT = 'SELECT seq, head_hash, at, key_version, signature FROM audit_checkpoints';

export class MysqlStore implements Store {
  readonly #link: MysqlLink;
  readonly #maxPending: number;
  #closed = false;

  /** Use openMysqlStore. */
  constructor(link: MysqlLink, maxPendingPerClient = 10_000) {
    this.#link = link;
    this.#maxPending = maxPendingPerClient;
  }

  /**
   * Runs `fn` in one transaction; retried from the start on a deadlock or lock-wait timeout.
   * A lost or hung connection is not retried: it rejects with ERR_UNAVAILABLE (mysql/link.ts),
   * so the CommitQueue refuses the publishes of the batch. If the COMMIT itself was lost on
   * the way back, the transaction may have committed: the publisher's retry with the same
   * message ids then reads as a duplicate, never as a second copy.
   */
  async #tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const link = this.#link;
    for (let attempt = 1; ; attempt++) {
      const conn = await link.connection();
      let failure: unknown;
      try {
        await link.command(conn, 'START TRANSACTION');
        const result = await fn({ link, conn });
        await link.command(conn, 'COMMIT');
        link.succeeded();
        return result;
      } catch (err) {
        failure = err;
        // A broken connection is dropped, not pooled (release below): the server rolls back.
        if (!isLinkError(err)) await link.command(conn, 'ROLLBACK').catch(() => undefined);
        const retry = RETRYABLE.has(errno(err) ?? 0) || (err as { retryCommit?: boolean }).retryCommit === true;
        if (!retry || attempt >= MAX_ATTEMPTS) throw link.failed(err);
      } finally {
        link.release(conn, failure);
      }
    }
  }

  async commit(batch: WriteBatch): Promise<CommitResult> {
    if (isEmpty(batch)) return { messages: [], clients: [] };
    return this.#tx((conn) => this.#apply(conn, batch));
  }

  async #apply(conn: Tx, batch: WriteBatch): Promise<CommitResult> {
    const clients: (Client | null)[] = [];
    for (const c of batch.clients) clients.push(await this.#insertClient(conn, c));

    // The clients this batch touches, locked in id order (the index order of the IN list).
    const ids = [...new Set([...batch.messages.map((m) => m.clientId), ...batch.delivered.map((m) => m.clientId), ...batch.acked.map((m) => m.clientId)])].sort();
    const states = new Map<string, SeqState>();
    for (const chunk of inLists(ids)) {
      const rows = await select<{ no: number; id: string; app_id: string; last_seq: number; acked_seq: number }>(conn,
        `SELECT no, id, app_id, last_seq, acked_seq FROM clients WHERE id IN (${list(chunk.length)}) ORDER BY id FOR UPDATE`, chunk);
      for (const r of rows) states.set(r.id, { no: r.no, appId: r.app_id, lastSeq: r.last_seq, ackedSeq: r.acked_seq, dirty: false, pending: null });
    }

    const messages = await this.#insertMessages(conn, batch, states);
    for (const state of states.values()) {
      if (state.dirty) await run(conn, 'UPDATE clients SET last_seq = ? WHERE no = ?', [state.lastSeq, state.no]);
    }

    const at = batch.at;
    for (const mark of batch.delivered) {
      const state = states.get(mark.clientId);
      if (state === undefined) continue;
      await run(conn,
        `UPDATE messages SET status = ${DELIVERED}, delivered_at = ?
         WHERE client_no = ? AND seq > ? AND seq <= ? AND status = ${QUEUED} AND expires_at > ?`,
        [at, state.no, state.ackedSeq, mark.uptoSeq, at]);
    }
    for (const mark of batch.acked) {
      const state = states.get(mark.clientId);
      if (state === undefined) continue;
      await run(conn,
        `UPDATE messages SET status = ${ACKED}, acked_at = ?, delivered_at = COALESCE(delivered_at, ?), payload = NULL
         WHERE client_no = ? AND seq > ? AND seq <= ? AND (status = ${DELIVERED} OR (status = ${QUEUED} AND expires_at > ?))`,
        [at, at, state.no, state.ackedSeq, mark.uptoSeq, at]);
      await run(conn, 'UPDATE clients SET acked_seq = GREATEST(acked_seq, LEAST(?, last_seq)) WHERE no = ?', [mark.uptoSeq, state.no]);
      for (const receipt of mark.receipts ?? []) {
        const covered = bytes(encodeCoveredList(receipt.messages));
        const { insertId } = await run(conn,
          'INSERT INTO ack_receipts (client_no, from_seq, upto_seq, covered, signature, acked_at) VALUES (?, ?, ?, ?, ?, ?)',
          [state.no, receipt.fromSeq, receipt.uptoSeq, covered, bytes(receipt.signature), at]);
        // Only a message this very ack moved to acked, and only once: a receipt names what it proves.
        for (const chunk of inLists(receipt.messages)) {
          await run(conn,
            `UPDATE messages SET receipt_no = ? WHERE client_no = ? AND status = ${ACKED} AND receipt_no IS NULL
             AND (seq, id) IN (${marks(chunk.length, 2)})`,
            [insertId, state.no, ...chunk.flatMap((m) => [m.seq, m.id])]);
        }
      }
    }
    for (const chunk of inLists(batch.seen)) {
      await run(conn, `UPDATE clients SET last_seen_at = ? WHERE id IN (${list(chunk.length)})`, [at, ...chunk]);
    }

    const { events, ackIndex } = commitAuditEvents(batch, messages);
    if (events.length > 0) {
      const first = await this.#chain(conn, events, at);
      if (ackIndex >= 0) {
        await insertMany(conn, 'INSERT INTO audit_acks (client_id, upto_seq, record_seq) VALUES', 3,
          batch.acked.map((mark) => [mark.clientId, mark.uptoSeq, first + ackIndex]));
      }
    }
    return { messages, clients };
  }

  /**
   * The client inserted, or the one that already holds its (app, static key): a concurrent
   * first connect won; null when its app is gone (the INSERT ... SELECT share-locks the app row,
   * so a delete waits for this commit or this insert finds no app).
   */
  async #insertClient(conn: Tx, c: WriteBatch['clients'][number]): Promise<Client | null> {
    const hpkeKey = c.hpkeKey ?? null;
    try {
      const { affectedRows } = await run(conn,
        `INSERT INTO clients (id, app_id, static_key, key_salt, last_seq, acked_seq, created_at, last_seen_at, ack_key, hpke_key)
         SELECT ?, ?, ?, ?, 0, 0, ?, NULL, ?, ? FROM apps WHERE id = ? LOCK IN SHARE MODE`,
        [c.id, c.appId, bytes(c.staticKey), bytes(c.keySalt), c.createdAt, bytesOrNull(c.ackKey), bytesOrNull(hpkeKey), c.appId]);
      if (affectedRows === 0) return null;
    } catch (err) {
      if (errno(err) !== ER_DUP_ENTRY) throw err;
      // Only a taken (app, static key) is a race to lose; a taken id fails the batch.
      const [holder] = await select<ClientRow>(conn, `SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? AND static_key = ? FOR UPDATE`,
        [c.appId, bytes(c.staticKey)]);
      if (holder === undefined) throw err;
      return toClient(holder);
    }
    const client: Client = { id: c.id, appId: c.appId, staticKey: c.staticKey, keySalt: c.keySalt, lastSeq: 0, ackedSeq: 0, createdAt: c.createdAt, lastSeenAt: null, hpkeKey };
    return c.ackKey === undefined ? client : { ...client, ackKey: c.ackKey };
  }

  /** Outcomes in batch order; the inserted rows go in multi-row INSERTs. */
  async #insertMessages(conn: Tx, batch: WriteBatch, states: Map<string, SeqState>): Promise<MessageOutcome[]> {
    const existing = await this.#existingMessages(conn, batch.messages);
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
      if (state.lastSeq - state.ackedSeq >= this.#maxPending) {
        state.pending ??= Number((await select<{ n: number }>(conn,
          `SELECT COUNT(*) AS n FROM messages WHERE client_no = ? AND seq > ? AND status < ${ACKED} AND expires_at > ?`,
          [state.no, state.ackedSeq, batch.at]))[0]?.n ?? 0);
        if (state.pending >= this.#maxPending) {
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
      await insertMany(conn, 'INSERT INTO messages (client_no, seq, app_id, id, status, payload, created_at, expires_at, fingerprint) VALUES', 9, rows);
    } catch (err) {
      // Another node committed one of these (app, id) pairs after it was looked up (to another
      // client, whose row this transaction does not lock): run again, and it reads as a duplicate.
      if (errno(err) === ER_DUP_ENTRY) throw Object.assign(err as Error, { retryCommit: true });
      throw err;
    }
    return outcomes;
  }

  /** The stored messages with the batch's (app, id) pairs, by "app\nid". */
  async #existingMessages(conn: Tx, messages: readonly NewMessage[]): Promise<Map<string, MessageRecord>> {
    const byApp = new Map<string, string[]>();
    for (const m of messages) {
      let ids = byApp.get(m.appId);
      if (!ids) byApp.set(m.appId, (ids = []));
      ids.push(m.id);
    }
    const found = new Map<string, MessageRecord>();
    for (const [appId, ids] of byApp) {
      for (const chunk of inLists([...new Set(ids)])) {
        const rows = await select<MessageRow>(conn, `${MESSAGE_RECORD} WHERE m.app_id = ? AND m.id IN (${list(chunk.length)})`, [appId, ...chunk]);
        for (const row of rows) found.set(`${row.app_id}\n${row.id}`, toMessageRecord(row));
      }
    }
    return found;
  }

  /** Appends `events` to the chain inside the caller's transaction; returns the seq of the first. */
  async #chain(conn: Tx, events: readonly AuditEvent[], at: number): Promise<number> {
    const [head] = await select<{ seq: number; hash: Buffer }>(conn, 'SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE');
    if (head === undefined) throw new Error('mysql store: the audit head row is missing (run sealpush migrate)');
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
      await insertMany(conn, 'INSERT INTO audit_log (seq, at, kind, fields, prev_hash, hash) VALUES', 6, rows);
      await run(conn, 'UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [seq, bytes(prevHash)]);
    }
    return head.seq + 1;
  }

  async createApp(app: StoredApp): Promise<void> {
    await run(this.#link, 'INSERT INTO apps (id, name, wrapped_secret, created_at, delivery) VALUES (?, ?, ?, ?, ?)',
      [app.id, app.name, bytes(app.wrappedSecret), app.createdAt, storedDelivery(app.delivery)]);
  }

  async getApp(appId: string): Promise<StoredApp | undefined> {
    const [row] = await select<AppRow>(this.#link, `SELECT ${APP_COLUMNS} FROM apps WHERE id = ?`, [appId]);
    return row === undefined ? undefined : toStoredApp(row);
  }

  async rotateAppSecret(appId: string, wrappedSecret: Uint8Array, previousNotAfter: number): Promise<boolean> {
    return (await run(this.#link, ROTATE_APP_SECRET_SQL, [previousNotAfter, bytes(wrappedSecret), appId])).affectedRows === 1;
  }

  /** In one transaction (mysql/apps.ts); never reports the journal scrubbed. */
  async deleteApp(appId: string, at: number): Promise<DeletedApp | undefined> {
    return this.#tx((conn) => deleteMysqlApp((sql, params) => statement(conn, sql, params), appId, at));
  }

  async listClients(appId: string | undefined, limit: number): Promise<Client[]> {
    const most = int(Math.min(limit, LIST_CLIENTS_MAX));
    return (await select<ClientRow>(this.#link, `${listClientsSql(appId)} ${most}`, appId === undefined ? [] : [appId])).map(toClient);
  }

  async listApps(): Promise<App[]> {
    const rows = await select<{ id: string; name: string; created_at: number; delivery: string | null; receipts: number }>(
      this.#link, 'SELECT id, name, created_at, delivery, receipts FROM apps ORDER BY created_at, id');
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at, delivery: deliveryOf(row), receipts: row.receipts === 1 }));
  }

  async setAppReceipts(appId: string, receipts: boolean): Promise<boolean> {
    return (await run(this.#link, 'UPDATE apps SET receipts = ? WHERE id = ?', [receipts ? 1 : 0, appId])).affectedRows === 1;
  }

  async updateAppDelivery(appId: string, delivery: DeliverySettings): Promise<boolean> {
    // affectedRows counts rows matched only with CLIENT_FOUND_ROWS (set in openMysqlStore).
    return (await run(this.#link, 'UPDATE apps SET delivery = ? WHERE id = ?', [storedDelivery(delivery), appId])).affectedRows === 1;
  }

  async setAppSigningKey(appId: string, key: Uint8Array | null): Promise<boolean> {
    return (await run(this.#link, 'UPDATE apps SET signing_key = ? WHERE id = ?', [bytesOrNull(key), appId])).affectedRows === 1;
  }

  async addJwtKey(key: StoredJwtKey): Promise<boolean> {
    try {
      await run(this.#link, 'INSERT INTO app_jwt_keys (issuer, kid, app_id, alg, key_material, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        [key.issuer, key.kid, key.appId, key.alg, bytes(key.keyMaterial), key.createdAt]);
      return true;
    } catch (err) {
      if (errno(err) === ER_DUP_ENTRY) return false;
      throw err;
    }
  }

  async findJwtKey(issuer: string, kid: string): Promise<StoredJwtKey | undefined> {
    const [row] = await select<{ issuer: string; kid: string; app_id: string; alg: StoredJwtKey['alg']; key_material: Buffer; created_at: number }>(
      this.#link, 'SELECT issuer, kid, app_id, alg, key_material, created_at FROM app_jwt_keys WHERE issuer = ? AND kid = ?', [issuer, kid]);
    if (row === undefined) return undefined;
    return { issuer: row.issuer, kid: row.kid, appId: row.app_id, alg: row.alg, keyMaterial: row.key_material, createdAt: row.created_at };
  }

  async addAdminToken(token: StoredAdminToken): Promise<boolean> {
    try {
      await run(this.#link, 'INSERT INTO admin_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)',
        [token.id, token.name, bytes(token.tokenHash), token.createdAt]);
      return true;
    } catch (err) {
      if (errno(err) === ER_DUP_ENTRY) return false;
      throw err;
    }
  }

  async findAdminToken(id: string): Promise<StoredAdminToken | undefined> {
    const [row] = await select<AdminTokenRow>(this.#link, 'SELECT id, name, token_hash, created_at FROM admin_tokens WHERE id = ?', [id]);
    return row === undefined ? undefined : toAdminToken(row);
  }

  async listAdminTokens(): Promise<StoredAdminToken[]> {
    return (await select<AdminTokenRow>(this.#link, 'SELECT id, name, token_hash, created_at FROM admin_tokens ORDER BY created_at, id', [])).map(toAdminToken);
  }

  async removeAdminToken(id: string): Promise<boolean> {
    return (await run(this.#link, 'DELETE FROM admin_tokens WHERE id = ?', [id])).affectedRows === 1;
  }

  async getClient(appId: string, clientId: string): Promise<Client | undefined> {
    const [row] = await select<ClientRow>(this.#link, `SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? AND id = ?`, [appId, clientId]);
    return row === undefined ? undefined : toClient(row);
  }

  async setClientHpkeKey(appId: string, clientId: string, key: Uint8Array | null): Promise<boolean> {
    return (await run(this.#link, 'UPDATE clients SET hpke_key = ? WHERE app_id = ? AND id = ?', [bytesOrNull(key), appId, clientId])).affectedRows === 1;
  }

  async findClientByKey(appId: string, staticKey: Uint8Array): Promise<Client | undefined> {
    const [row] = await select<ClientRow>(this.#link, `SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? AND static_key = ?`, [appId, bytes(staticKey)]);
    return row === undefined ? undefined : toClient(row);
  }

  async registerAckKey(appId: string, clientId: string, ackKey: Uint8Array): Promise<Uint8Array | undefined> {
    await run(this.#link, 'UPDATE clients SET ack_key = ? WHERE app_id = ? AND id = ? AND ack_key IS NULL', [bytes(ackKey), appId, clientId]);
    return (await this.getClient(appId, clientId))?.ackKey;
  }

  async getReceipt(appId: string, messageId: string): Promise<StoredReceipt | undefined> {
    const [row] = await select<ReceiptRow>(this.#link,
      `SELECT c.id AS client_id, r.from_seq, r.upto_seq, r.covered, r.signature, r.acked_at
       FROM messages m JOIN ack_receipts r ON r.no = m.receipt_no JOIN clients c ON c.no = r.client_no
       WHERE m.app_id = ? AND m.id = ?`, [appId, messageId]);
    return row === undefined ? undefined : toReceipt(row);
  }

  async getMessage(appId: string, messageId: string): Promise<MessageRecord | undefined> {
    const [row] = await select<MessageRow>(this.#link, `${MESSAGE_RECORD} WHERE m.app_id = ? AND m.id = ?`, [appId, messageId]);
    return row === undefined ? undefined : toMessageRecord(row);
  }

  async pendingMessages(clientId: string, afterSeq: number, limit: number, now: number): Promise<SealedPending[]> {
    // Every seq <= acked_seq is acked or expired: the primary-key range starts above it.
    const rows = await select<{ seq: number; id: string; app_id: string; created_at: number; payload: Buffer }>(this.#link,
      `SELECT m.seq, m.id, m.app_id, m.created_at, m.payload FROM clients c JOIN messages m ON m.client_no = c.no AND m.seq > c.acked_seq
       WHERE c.id = ? AND m.seq > ? AND m.status < ${ACKED} AND m.expires_at > ? ORDER BY m.seq LIMIT ${int(limit)}`,
      [clientId, afterSeq, now]);
    return rows.map((row) => ({ seq: row.seq, id: row.id, appId: row.app_id, createdAt: row.created_at, payload: row.payload }));
  }

  async lastSeqs(clientIds: readonly string[]): Promise<ClientLastSeq[]> {
    if (clientIds.length === 0) return [];
    const rows = await select<{ id: string; last_seq: number }>(this.#link, `SELECT id, last_seq FROM clients WHERE id IN (${list(clientIds.length)})`, clientIds);
    return rows.map((row) => ({ clientId: row.id, lastSeq: Number(row.last_seq) }));
  }

  async countPending(clientId: string, now: number): Promise<number> {
    const [row] = await select<{ n: number }>(this.#link,
      `SELECT COUNT(*) AS n FROM clients c JOIN messages m ON m.client_no = c.no AND m.seq > c.acked_seq
       WHERE c.id = ? AND m.status < ${ACKED} AND m.expires_at > ?`, [clientId, now]);
    return Number(row?.n ?? 0);
  }

  async countPendingByApp(now: number): Promise<AppPendingCount[]> {
    const rows = await select<{ app_id: string; pending: number }>(this.#link,
      `SELECT m.app_id, COUNT(*) AS pending FROM clients c JOIN messages m ON m.client_no = c.no AND m.seq > c.acked_seq
       WHERE m.status < ${ACKED} AND m.expires_at > ? GROUP BY m.app_id ORDER BY m.app_id`, [now]);
    return rows.map((row) => ({ appId: String(row.app_id), pending: Number(row.pending) }));
  }

  async expireMessages(now: number, limit: number): Promise<number> {
    return this.#tx(async (conn) => {
      // messages_pending: two index ranges (status 0 and 1), each read up to `now`; no sort.
      const due = await select<{ client_no: number; seq: number; app_id: string; id: string }>(conn,
        `SELECT client_no, seq, app_id, id FROM messages WHERE status IN (${QUEUED}, ${DELIVERED}) AND expires_at <= ?
         LIMIT ${int(limit)} FOR UPDATE`, [now]);
      if (due.length === 0) return 0;
      const clientIds = new Map<number, string>();
      for (const chunk of inLists([...new Set(due.map((d) => d.client_no))])) {
        const rows = await select<{ no: number; id: string }>(conn, `SELECT no, id FROM clients WHERE no IN (${list(chunk.length)})`, chunk);
        for (const row of rows) clientIds.set(row.no, row.id);
      }
      for (const chunk of inLists(due)) {
        await run(conn, `UPDATE messages SET status = ${EXPIRED}, payload = NULL WHERE (client_no, seq) IN (${marks(chunk.length, 2)})`,
          chunk.flatMap((d) => [d.client_no, d.seq]));
      }
      await this.#chain(conn, [expireEvent(due.map((d) => [d.app_id, d.id, clientIds.get(d.client_no) ?? '', d.seq]))], now);
      return due.length;
    });
  }

  async purgeMessages(createdBefore: number, limit: number): Promise<number> {
    // messages_finished: the ranges status 2 and 3 only; pending rows are never read.
    return (await run(this.#link, `DELETE FROM messages WHERE status IN (${ACKED}, ${EXPIRED}) AND created_at < ? LIMIT ${int(limit)}`,
      [createdBefore])).affectedRows;
  }

  /** In one transaction; never reports the journal scrubbed (mysql/forget.ts says why). */
  async forgetClient(clientId: string, appId: string | undefined, at: number, staleBefore?: number): Promise<ForgetResult | undefined> {
    return this.#tx((conn) => forgetMysqlClient((sql, params) => statement(conn, sql, params), clientId, appId, at, staleBefore));
  }

  async staleClients(seenBefore: number, limit: number): Promise<string[]> {
    return (await select<{ id: string }>(this.#link, `${STALE_CLIENTS_SQL} ${int(limit)}`, [seenBefore])).map((row) => row.id);
  }

  async forgottenAfter(afterSeq: number, limit: number): Promise<ForgottenClient[]> {
    return (await select<TombstoneRow>(this.#link,
      `SELECT seq, client_id, app_id, forgotten_at FROM forgotten_clients WHERE seq > ? ORDER BY seq LIMIT ${int(limit)}`, [afterSeq])).map(toTombstone);
  }

  async lastForgottenSeq(): Promise<number> {
    const [row] = await select<{ seq: number }>(this.#link, 'SELECT seq FROM forgotten_head WHERE id = 1');
    return row?.seq ?? 0;
  }

  async getServerKey(purpose: string): Promise<StoredServerKey | undefined> {
    const [row] = await select<ServerKeyRow>(this.#link, `${SERVER_KEY} ORDER BY version DESC LIMIT 1`, [purpose]);
    return row === undefined ? undefined : toServerKey(row);
  }

  async putServerKeyIfAbsent(key: StoredServerKey): Promise<StoredServerKey> {
    const existing = await this.getServerKey(key.purpose);
    if (existing !== undefined) return existing;
    try {
      await run(this.#link, 'INSERT INTO server_keys (purpose, version, public_key, wrapped_secret, created_at, not_after) VALUES (?, ?, ?, ?, ?, NULL)',
        [key.purpose, key.version, bytes(key.publicKey), bytes(key.wrappedSecret), key.createdAt]);
      return key;
    } catch (err) {
      // Another node stored its key first: that one is the key.
      const winner = errno(err) === ER_DUP_ENTRY ? await this.getServerKey(key.purpose) : undefined;
      if (winner === undefined) throw err;
      return winner;
    }
  }

  async listServerKeys(purpose: string): Promise<StoredServerKey[]> {
    return (await select<ServerKeyRow>(this.#link, `${SERVER_KEY} ORDER BY version DESC`, [purpose])).map(toServerKey);
  }

  async addServerKeyVersion(key: StoredServerKey, previousNotAfter: number): Promise<boolean> {
    return this.#tx(async (conn) => {
      const [latest] = await select<ServerKeyRow>(conn, `${SERVER_KEY} ORDER BY version DESC LIMIT 1 FOR UPDATE`, [key.purpose]);
      if ((latest?.version ?? 0) !== key.version - 1) return false;
      try {
        await run(conn, 'INSERT INTO server_keys (purpose, version, public_key, wrapped_secret, created_at, not_after) VALUES (?, ?, ?, ?, ?, NULL)',
          [key.purpose, key.version, bytes(key.publicKey), bytes(key.wrappedSecret), key.createdAt]);
      } catch (err) {
        if (errno(err) === ER_DUP_ENTRY) return false; // a concurrent rotation won
        throw err;
      }
      if (latest) {
        await run(conn, 'UPDATE server_keys SET not_after = ? WHERE purpose = ? AND version = ? AND (not_after IS NULL OR not_after > ?)',
          [previousNotAfter, key.purpose, latest.version, previousNotAfter]);
      }
      await run(conn, 'DELETE FROM server_keys WHERE purpose = ? AND not_after IS NOT NULL AND not_after <= ?', [key.purpose, key.createdAt]);
      return true;
    });
  }

  async wrappedBlobs(column: WrappedColumn, after: readonly (string | number)[] | null, limit: number): Promise<WrappedBlob[]> {
    const { table, key, blob, where } = wrappedColumn(column);
    const keyList = key.join(', ');
    const from = after === null ? '' : ` AND (${keyList}) > (${list(key.length)})`;
    const rows = await select<Record<string, string | number | Buffer>>(this.#link,
      `SELECT ${keyList}, ${blob} AS blob_value FROM ${table} WHERE ${where} AND ${blob} IS NOT NULL${from} ORDER BY ${keyList} LIMIT ${int(limit)}`,
      after ?? []);
    return rows.map((row) => ({ key: key.map((k) => row[k] as string | number), blob: row.blob_value as Buffer }));
  }

  async replaceWrappedBlobs(
    column: WrappedColumn,
    changes: readonly { readonly key: readonly (string | number)[]; readonly expected: Uint8Array; readonly replacement: Uint8Array }[],
  ): Promise<number> {
    const { table, key, blob } = wrappedColumn(column);
    const sql = `UPDATE ${table} SET ${blob} = ? WHERE ${key.map((k) => `${k} = ?`).join(' AND ')} AND ${blob} = ?`;
    return this.#tx(async (conn) => {
      let replaced = 0;
      for (const change of changes) replaced += (await run(conn, sql, [bytes(change.replacement), ...change.key, bytes(change.expected)])).affectedRows;
      return replaced;
    });
  }

  async appendAudit(events: readonly AuditEvent[], at: number): Promise<void> {
    if (events.length > 0) await this.#tx((conn) => this.#chain(conn, events, at));
  }

  async auditHead(): Promise<AuditHead> {
    const [row] = await select<{ seq: number; hash: Buffer }>(this.#link, 'SELECT seq, hash FROM audit_head WHERE id = 1');
    if (row === undefined) throw new Error('mysql store: the audit head row is missing (run sealpush migrate)');
    return { seq: row.seq, hash: row.hash };
  }

  async auditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return (await select<AuditRow>(this.#link, `${AUDIT_RECORD} WHERE seq > ? ORDER BY seq LIMIT ${int(limit)}`, [afterSeq])).map(toAuditRecord);
  }

  async findAckRecord(clientId: string, seq: number): Promise<AuditRecord | undefined> {
    const [row] = await select<AuditRow>(this.#link,
      `${AUDIT_RECORD} WHERE seq = (SELECT record_seq FROM audit_acks WHERE client_id = ? AND upto_seq >= ? ORDER BY upto_seq, record_seq LIMIT 1)`,
      [clientId, seq]);
    return row === undefined ? undefined : toAuditRecord(row);
  }

  async addAuditCheckpoint(c: AuditCheckpoint): Promise<boolean> {
    try {
      await run(this.#link, 'INSERT INTO audit_checkpoints (seq, head_hash, at, key_version, signature) VALUES (?, ?, ?, ?, ?)',
        [c.seq, bytes(c.headHash), c.at, c.keyVersion, bytes(c.signature)]);
      return true;
    } catch (err) {
      if (errno(err) === ER_DUP_ENTRY) return false;
      throw err;
    }
  }

  async auditCheckpoints(afterSeq: number, limit: number): Promise<AuditCheckpoint[]> {
    return (await select<CheckpointRow>(this.#link, `${CHECKPOINT} WHERE seq > ? ORDER BY seq LIMIT ${int(limit)}`, [afterSeq])).map(toCheckpoint);
  }

  async latestAuditCheckpoint(): Promise<AuditCheckpoint | undefined> {
    const [row] = await select<CheckpointRow>(this.#link, `${CHECKPOINT} ORDER BY seq DESC LIMIT 1`);
    return row === undefined ? undefined : toCheckpoint(row);
  }

  async ping(): Promise<void> {
    if (this.#closed) throw new Error('mysql store: closed');
    await this.#link.executeAlone('SELECT 1', []);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#link.end();
  }
}

function wrappedColumn(column: WrappedColumn): (typeof WRAPPED_COLUMNS)[WrappedColumn] {
  if (!Object.hasOwn(WRAPPED_COLUMNS, column)) throw new Error(`mysql store: no wrapped column ${String(column)}`);
  return WRAPPED_COLUMNS[column];
}

/** The pool options every connection of the driver shares (the migration runner too). */
export function mysqlPoolOptions(url: string, connectionLimit = 10): PoolOptions {
  const { uri, connectTimeout } = linkSettings(url);
  return {
    uri,
    connectionLimit,
    connectTimeout,
    typeCast,
    // mysql2 connects with CLIENT_FOUND_ROWS by default: an UPDATE's affectedRows counts the
    // rows matched, as SQLite's changes do (a no-op update still finds its row).
    maxPreparedStatements: 512,
  };
}

/**
 * Opens a pool on `url` and checks the schema: a database behind this build (run
 * `sealpush migrate`) or ahead of it (an older build) is refused with MysqlSchemaError.
 */
export async function openMysqlStore(options: MysqlStoreOptions): Promise<MysqlStore> {
  const link = new MysqlLink(mysqlPoolOptions(options.url, options.connectionLimit), linkSettings(options.url).queryTimeout);
  const pool = link.pool;
  // READ COMMITTED on every connection, before its first use (see the header).
  pool.on('connection', (conn) => {
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  });
  try {
    const version = await readMysqlSchemaVersion(pool);
    if (version < MYSQL_SCHEMA_VERSION) {
      throw new MysqlSchemaError(
        `mysql store: the database schema is at version ${version}, this build needs ${MYSQL_SCHEMA_VERSION}: run \`sealpush migrate\` first`,
      );
    }
    if (version > MYSQL_SCHEMA_VERSION) {
      throw new MysqlSchemaError(
        `mysql store: the database schema is at version ${version}, newer than this build knows (${MYSQL_SCHEMA_VERSION}): this sealpush build is older than the schema; upgrade it`,
      );
    }
    options.logger?.info({ schemaVersion: version }, 'mysql store open');
    return new MysqlStore(link, options.maxPendingPerClient);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
