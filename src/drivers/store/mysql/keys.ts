/**
 * KeyVault on MySQL (key-vault.ts): the server's key versions, the wrapped blobs a KEK
 * rotation rewraps, and admin tokens. Several nodes may store or rotate a key at once:
 * the (purpose, version) primary key lets one win, and the others read the winner.
 */
import type { KeyVault } from '../../../domain/ports/key-vault.js';
import type { StoredServerKey, WrappedColumn } from '../../../domain/types.js';
import { toAdminToken, toServerKey, type AdminTokenRow, type ServerKeyRow } from '../shared/rows.js';
import type { MysqlLink } from './link.js';
import { ER_DUP_ENTRY, bytes, errno, insertUnlessTaken, int, run, select, transaction } from './conn.js';
import { list } from './chunks.js';
import { INSERT_SERVER_KEY, SERVER_KEY } from './statements.js';

/** Where each wrapped column lives (see the SQLite driver's table of the same name). */
const WRAPPED_COLUMNS: Readonly<Record<WrappedColumn, { table: string; key: readonly string[]; blob: string; where: string }>> = {
  'apps.wrapped_secret': { table: 'apps', key: ['id'], blob: 'wrapped_secret', where: '1 = 1' },
  'apps.previous_wrapped_secret': { table: 'apps', key: ['id'], blob: 'previous_wrapped_secret', where: '1 = 1' },
  'webhook_endpoints.wrapped_secret': { table: 'webhook_endpoints', key: ['id'], blob: 'wrapped_secret', where: '1 = 1' },
  'webhook_endpoints.previous_wrapped_secret': { table: 'webhook_endpoints', key: ['id'], blob: 'previous_wrapped_secret', where: '1 = 1' },
  'server_keys.wrapped_secret': { table: 'server_keys', key: ['purpose', 'version'], blob: 'wrapped_secret', where: '1 = 1' },
  'app_jwt_keys.key_material': { table: 'app_jwt_keys', key: ['issuer', 'kid'], blob: 'key_material', where: "alg = 'HS256'" },
};

function wrappedColumn(column: WrappedColumn): (typeof WRAPPED_COLUMNS)[WrappedColumn] {
  if (!Object.hasOwn(WRAPPED_COLUMNS, column)) throw new Error(`mysql store: no wrapped column ${String(column)}`);
  return WRAPPED_COLUMNS[column];
}

const serverKeyParams = (key: StoredServerKey) => [key.purpose, key.version, bytes(key.publicKey), bytes(key.wrappedSecret), key.createdAt];

export function mysqlKeyVault(link: MysqlLink): KeyVault {
  const getServerKey: KeyVault['getServerKey'] = async (purpose) => {
    const [row] = await select<ServerKeyRow>(link, `${SERVER_KEY} ORDER BY version DESC LIMIT 1`, [purpose]);
    return row === undefined ? undefined : toServerKey(row);
  };

  return {
    getServerKey,

    async putServerKeyIfAbsent(key) {
      const existing = await getServerKey(key.purpose);
      if (existing !== undefined) return existing;
      try {
        await run(link, INSERT_SERVER_KEY, serverKeyParams(key));
        return key;
      } catch (err) {
        // Another node stored its key first: that one is the key.
        const winner = errno(err) === ER_DUP_ENTRY ? await getServerKey(key.purpose) : undefined;
        if (winner === undefined) throw err;
        return winner;
      }
    },

    async listServerKeys(purpose) {
      return (await select<ServerKeyRow>(link, `${SERVER_KEY} ORDER BY version DESC`, [purpose])).map(toServerKey);
    },

    async addServerKeyVersion(key, previousNotAfter) {
      return transaction(link, async (tx) => {
        const [latest] = await select<ServerKeyRow>(tx, `${SERVER_KEY} ORDER BY version DESC LIMIT 1 FOR UPDATE`, [key.purpose]);
        if ((latest?.version ?? 0) !== key.version - 1) return false;
        if (!(await insertUnlessTaken(tx, INSERT_SERVER_KEY, serverKeyParams(key)))) return false; // a concurrent rotation won
        if (latest) {
          await run(tx, 'UPDATE server_keys SET not_after = ? WHERE purpose = ? AND version = ? AND (not_after IS NULL OR not_after > ?)',
            [previousNotAfter, key.purpose, latest.version, previousNotAfter]);
        }
        await run(tx, 'DELETE FROM server_keys WHERE purpose = ? AND not_after IS NOT NULL AND not_after <= ?', [key.purpose, key.createdAt]);
        return true;
      });
    },

    async putServerKeyEpoch(key, keep) {
      // A taken version is the key a concurrent node stored first: that one is the epoch's key.
      await insertUnlessTaken(link, INSERT_SERVER_KEY, serverKeyParams(key));
      await run(link, 'DELETE FROM server_keys WHERE purpose = ? AND (version < ? OR version > ?)', [key.purpose, keep.from, keep.to]);
      const [row] = await select<ServerKeyRow>(link, `${SERVER_KEY} AND version = ?`, [key.purpose, key.version]);
      if (row === undefined) throw new Error(`mysql store: the ${key.purpose} key of version ${key.version} is outside the window kept`);
      return toServerKey(row);
    },

    async wrappedBlobs(column, after, limit) {
      const { table, key, blob, where } = wrappedColumn(column);
      const keyList = key.join(', ');
      const from = after === null ? '' : ` AND (${keyList}) > (${list(key.length)})`;
      const rows = await select<Record<string, string | number | Buffer>>(link,
        `SELECT ${keyList}, ${blob} AS blob_value FROM ${table} WHERE ${where} AND ${blob} IS NOT NULL${from} ORDER BY ${keyList} LIMIT ${int(limit)}`,
        after ?? []);
      return rows.map((row) => ({ key: key.map((k) => row[k] as string | number), blob: row.blob_value as Buffer }));
    },

    async replaceWrappedBlobs(column, changes) {
      const { table, key, blob } = wrappedColumn(column);
      const sql = `UPDATE ${table} SET ${blob} = ? WHERE ${key.map((k) => `${k} = ?`).join(' AND ')} AND ${blob} = ?`;
      return transaction(link, async (tx) => {
        let replaced = 0;
        for (const change of changes) replaced += (await run(tx, sql, [bytes(change.replacement), ...change.key, bytes(change.expected)])).affectedRows;
        return replaced;
      });
    },

    async addAdminToken(token) {
      return insertUnlessTaken(link, 'INSERT INTO admin_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)',
        [token.id, token.name, bytes(token.tokenHash), token.createdAt]);
    },

    async findAdminToken(id) {
      const [row] = await select<AdminTokenRow>(link, 'SELECT id, name, token_hash, created_at FROM admin_tokens WHERE id = ?', [id]);
      return row === undefined ? undefined : toAdminToken(row);
    },

    async listAdminTokens() {
      return (await select<AdminTokenRow>(link, 'SELECT id, name, token_hash, created_at FROM admin_tokens ORDER BY created_at, id', [])).map(toAdminToken);
    },

    async removeAdminToken(id) {
      return (await run(link, 'DELETE FROM admin_tokens WHERE id = ?', [id])).affectedRows === 1;
    },
  };
}
