/**
 * The SQL that more than one role file of the SQLite store runs: the group commit (commit.ts)
 * reads and writes the same rows the role reads do. Each file prepares its own statements
 * from these; the text has one home.
 */
import { APP_COLUMNS, CLIENT_COLUMNS, STATUS_CODE } from '../shared/rows.js';

export const { queued: QUEUED, delivered: DELIVERED, acked: ACKED, expired: EXPIRED } = STATUS_CODE;

/** Parameter: the app id. */
export const APP_BY_ID = `SELECT ${APP_COLUMNS} FROM apps WHERE id = ?`;

/** Parameters: the app id, the client's static key. */
export const CLIENT_BY_KEY = `SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? AND static_key = ?`;

/** A message with its client's public id (messages hold the client's internal number). Parameters: app id, message id. */
export const MESSAGE_BY_ID = `SELECT m.app_id, m.id, c.id AS client_id, m.seq, m.status, m.created_at, m.expires_at,
  m.delivered_at, m.acked_at, m.fingerprint FROM messages m JOIN clients c ON c.no = m.client_no WHERE m.app_id = ? AND m.id = ?`;

/**
 * The pending range of one client's messages (named parameter @clientId). Every seq <=
 * clients.acked_seq is acked or expired, so the (client_no, seq) index scan starts above it
 * and never walks history.
 */
export const CLIENT_RANGE = `client_no = (SELECT no FROM clients WHERE id = @clientId)
  AND seq > COALESCE((SELECT acked_seq FROM clients WHERE id = @clientId), 0)`;
