/**
 * KeyVault on SQLite (ports/key-vault.ts): the server's own keys by purpose and version, the
 * wrapped blobs a master-key rotation rewraps, and the admin tokens.
 */
import type Database from 'better-sqlite3';
import type { KeyVault } from '../../../domain/ports/key-vault.js';
import type { StoredServerKey, WrappedColumn } from '../../../domain/types.js';
import { toAdminToken, toServerKey, type AdminTokenRow, type ServerKeyRow } from '../shared/rows.js';

/**
 * Where each wrapped column lives: its table, primary key columns (in key order), blob column,
 * and which rows hold a wrapped blob at all. A new wrapped column is one more entry.
 */
const WRAPPED_COLUMNS: Readonly<Record<WrappedColumn, { table: string; key: readonly string[]; blob: string; where: string }>> = {
  'apps.wrapped_secret': { table: 'apps', key: ['id'], blob: 'wrapped_secret', where: '1 = 1' },
  'apps.previous_wrapped_secret': { table: 'apps', key: ['id'], blob: 'previous_wrapped_secret', where: '1 = 1' },
  'webhook_endpoints.wrapped_secret': { table: 'webhook_endpoints', key: ['id'], blob: 'wrapped_secret', where: '1 = 1' },
  'webhook_endpoints.previous_wrapped_secret': { table: 'webhook_endpoints', key: ['id'], blob: 'previous_wrapped_secret', where: '1 = 1' },
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

const SERVER_KEY_COLUMNS = 'purpose, version, public_key, wrapped_secret, created_at, not_after';

export function sqliteKeyVault(db: Database.Database): KeyVault {
  const latestServerKey = db.prepare(`SELECT ${SERVER_KEY_COLUMNS} FROM server_keys WHERE purpose = ? ORDER BY version DESC LIMIT 1`);
  const allServerKeys = db.prepare(`SELECT ${SERVER_KEY_COLUMNS} FROM server_keys WHERE purpose = ? ORDER BY version DESC`);
  const insertServerKey = db.prepare(
    'INSERT INTO server_keys (purpose, version, public_key, wrapped_secret, created_at, not_after) VALUES (?, ?, ?, ?, ?, NULL)',
  );
  const endServerKey = db.prepare(
    'UPDATE server_keys SET not_after = ? WHERE purpose = ? AND version = ? AND (not_after IS NULL OR not_after > ?)',
  );
  const serverKeyVersion = db.prepare(`SELECT ${SERVER_KEY_COLUMNS} FROM server_keys WHERE purpose = ? AND version = ?`);
  const keepServerKeys = db.prepare('DELETE FROM server_keys WHERE purpose = ? AND (version < ? OR version > ?)');
  const pruneServerKeys = db.prepare('DELETE FROM server_keys WHERE purpose = ? AND not_after IS NOT NULL AND not_after <= ?');
  const insertAdminToken = db.prepare('INSERT INTO admin_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING');
  const adminToken = db.prepare('SELECT id, name, token_hash, created_at FROM admin_tokens WHERE id = ?');
  const adminTokens = db.prepare('SELECT id, name, token_hash, created_at FROM admin_tokens ORDER BY created_at, id');
  const deleteAdminToken = db.prepare('DELETE FROM admin_tokens WHERE id = ?');

  const putIfAbsent = db.transaction((key: StoredServerKey) => {
    const existing = latestServerKey.get(key.purpose) as ServerKeyRow | undefined;
    if (existing !== undefined) return toServerKey(existing);
    insertServerKey.run(key.purpose, key.version, key.publicKey, key.wrappedSecret, key.createdAt);
    return key;
  });
  const addVersion = db.transaction((key: StoredServerKey, previousNotAfter: number) => {
    const latest = latestServerKey.get(key.purpose) as ServerKeyRow | undefined;
    if ((latest?.version ?? 0) !== key.version - 1) return false;
    insertServerKey.run(key.purpose, key.version, key.publicKey, key.wrappedSecret, key.createdAt);
    if (latest) endServerKey.run(previousNotAfter, key.purpose, latest.version, previousNotAfter);
    pruneServerKeys.run(key.purpose, key.createdAt);
    return true;
  });

  const putEpoch = db.transaction((key: StoredServerKey, from: number, to: number) => {
    const existing = serverKeyVersion.get(key.purpose, key.version) as ServerKeyRow | undefined;
    if (existing === undefined) insertServerKey.run(key.purpose, key.version, key.publicKey, key.wrappedSecret, key.createdAt);
    keepServerKeys.run(key.purpose, from, to);
    return existing === undefined ? key : toServerKey(existing);
  });

  // Prepared on a column's first use (by a master-key rotation), not at every open.
  const wrapped = new Map<WrappedColumn, ReturnType<typeof wrappedStatements>>();
  const wrappedColumn = (column: WrappedColumn): ReturnType<typeof wrappedStatements> => {
    let statements = wrapped.get(column);
    if (!statements) {
      if (!Object.hasOwn(WRAPPED_COLUMNS, column)) throw new Error(`sqlite store: no wrapped column ${String(column)}`);
      wrapped.set(column, (statements = wrappedStatements(db, column)));
    }
    return statements;
  };

  return {
    async getServerKey(purpose) {
      const row = latestServerKey.get(purpose) as ServerKeyRow | undefined;
      return row === undefined ? undefined : toServerKey(row);
    },
    async putServerKeyIfAbsent(key) {
      return putIfAbsent.immediate(key);
    },
    async listServerKeys(purpose) {
      return (allServerKeys.all(purpose) as ServerKeyRow[]).map(toServerKey);
    },
    async addServerKeyVersion(key, previousNotAfter) {
      return addVersion.immediate(key, previousNotAfter);
    },
    async putServerKeyEpoch(key, keep) {
      return putEpoch.immediate(key, keep.from, keep.to);
    },
    async wrappedBlobs(column, after, limit) {
      const w = wrappedColumn(column);
      const rows = (after === null ? w.first.all(limit) : w.after.all(...after, limit)) as Record<string, string | number | Buffer>[];
      return rows.map((row) => ({ key: w.key.map((k) => row[k] as string | number), blob: row.blob as Buffer }));
    },
    async replaceWrappedBlobs(column, changes) {
      const w = wrappedColumn(column);
      const apply = db.transaction(() => {
        let replaced = 0;
        for (const change of changes) replaced += w.replace.run(change.replacement, ...change.key, change.expected).changes;
        return replaced;
      });
      return apply.immediate();
    },
    async addAdminToken(token) {
      return insertAdminToken.run(token.id, token.name, token.tokenHash, token.createdAt).changes === 1;
    },
    async findAdminToken(id) {
      const row = adminToken.get(id) as AdminTokenRow | undefined;
      return row === undefined ? undefined : toAdminToken(row);
    },
    async listAdminTokens() {
      return (adminTokens.all() as AdminTokenRow[]).map(toAdminToken);
    },
    async removeAdminToken(id) {
      return deleteAdminToken.run(id).changes === 1;
    },
  };
}
