/**
 * The MySQL driver's statement texts that several methods share: the SELECTs of a whole
 * record and the heads of the multi-row INSERTs (mysql/chunks.ts adds the rows). Their
 * column lists follow mysql/schema.ts and the row types of shared/rows.ts.
 */
import { STATUS_CODE } from '../shared/rows.js';

/** A message's status as stored, inlined in statements (a constant, not a parameter). */
export const { queued: QUEUED, delivered: DELIVERED, acked: ACKED, expired: EXPIRED } = STATUS_CODE;

/** A MessageRow: the message with its client's id; WHERE on `m` and `c` follows. */
export const MESSAGE_RECORD = `SELECT m.app_id, m.id, c.id AS client_id, m.seq, m.status, m.created_at, m.expires_at,
  m.delivered_at, m.acked_at, m.fingerprint FROM messages m JOIN clients c ON c.no = m.client_no`;

/** The ServerKeyRows of one purpose; ORDER BY and LIMIT follow. */
export const SERVER_KEY = 'SELECT purpose, version, public_key, wrapped_secret, created_at, not_after FROM server_keys WHERE purpose = ?';

/** A new server key version, current (no not_after) until the next one is added. */
export const INSERT_SERVER_KEY =
  'INSERT INTO server_keys (purpose, version, public_key, wrapped_secret, created_at, not_after) VALUES (?, ?, ?, ?, ?, NULL)';

/** AuditRows; WHERE, ORDER BY and LIMIT follow. */
export const AUDIT_RECORD = 'SELECT seq, at, kind, fields, prev_hash, hash FROM audit_log';

/** CheckpointRows; WHERE, ORDER BY and LIMIT follow. */
export const CHECKPOINT = 'SELECT seq, head_hash, at, key_version, signature FROM audit_checkpoints';

/** Heads of the multi-row INSERTs (mysql/chunks.ts insertMany), each with its row width. */
export const INSERT_MESSAGES = {
  head: 'INSERT INTO messages (client_no, seq, app_id, id, status, payload, created_at, expires_at, fingerprint) VALUES',
  width: 9,
} as const;
export const INSERT_AUDIT_LOG = { head: 'INSERT INTO audit_log (seq, at, kind, fields, prev_hash, hash) VALUES', width: 6 } as const;
export const INSERT_AUDIT_ACKS = { head: 'INSERT INTO audit_acks (client_id, upto_seq, record_seq) VALUES', width: 3 } as const;
