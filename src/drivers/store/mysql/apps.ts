/**
 * AppRegistry on MySQL (app-registry.ts): apps, their delivery settings, signing and JWT
 * keys, the rotation of an app's secret and its deletion (in one transaction, as
 * mysql/forget.ts forgets one client: InnoDB cannot scrub, so the journal is never reported
 * scrubbed).
 */
import type { AppRegistry, DeletedApp } from '../../../domain/ports/app-registry.js';
import type { StoredJwtKey } from '../../../domain/types.js';
import { APP_COLUMNS, deliveryOf, storedDelivery, toStoredApp, type AppRow } from '../shared/rows.js';
import type { MysqlLink } from './link.js';
import { bytes, bytesOrNull, insertUnlessTaken, run, select, transaction, type Tx } from './conn.js';
import { appendTombstones } from './forget.js';

/** One UPDATE: MySQL assigns left to right, so the current secret is moved before it is replaced. */
const ROTATE_APP_SECRET_SQL = `UPDATE apps SET previous_wrapped_secret = wrapped_secret, previous_secret_not_after = ?,
  wrapped_secret = ? WHERE id = ?`;

export function mysqlAppRegistry(link: MysqlLink): AppRegistry {
  return {
    async createApp(app) {
      await run(link, 'INSERT INTO apps (id, name, wrapped_secret, created_at, delivery) VALUES (?, ?, ?, ?, ?)',
        [app.id, app.name, bytes(app.wrappedSecret), app.createdAt, storedDelivery(app.delivery)]);
    },

    async getApp(appId) {
      const [row] = await select<AppRow>(link, `SELECT ${APP_COLUMNS} FROM apps WHERE id = ?`, [appId]);
      return row === undefined ? undefined : toStoredApp(row);
    },

    async listApps() {
      const rows = await select<{ id: string; name: string; created_at: number; delivery: string | null; receipts: number }>(
        link, 'SELECT id, name, created_at, delivery, receipts FROM apps ORDER BY created_at, id');
      return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at, delivery: deliveryOf(row), receipts: row.receipts === 1 }));
    },

    async updateAppDelivery(appId, delivery) {
      // affectedRows counts rows matched only with CLIENT_FOUND_ROWS (set in openMysqlStore).
      return (await run(link, 'UPDATE apps SET delivery = ? WHERE id = ?', [storedDelivery(delivery), appId])).affectedRows === 1;
    },

    async setAppReceipts(appId, receipts) {
      return (await run(link, 'UPDATE apps SET receipts = ? WHERE id = ?', [receipts ? 1 : 0, appId])).affectedRows === 1;
    },

    async setAppSigningKey(appId, key) {
      return (await run(link, 'UPDATE apps SET signing_key = ? WHERE id = ?', [bytesOrNull(key), appId])).affectedRows === 1;
    },

    async addJwtKey(key) {
      return insertUnlessTaken(link, 'INSERT INTO app_jwt_keys (issuer, kid, app_id, alg, key_material, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        [key.issuer, key.kid, key.appId, key.alg, bytes(key.keyMaterial), key.createdAt]);
    },

    async findJwtKey(issuer, kid) {
      const [row] = await select<{ issuer: string; kid: string; app_id: string; alg: StoredJwtKey['alg']; key_material: Buffer; created_at: number }>(
        link, 'SELECT issuer, kid, app_id, alg, key_material, created_at FROM app_jwt_keys WHERE issuer = ? AND kid = ?', [issuer, kid]);
      if (row === undefined) return undefined;
      return { issuer: row.issuer, kid: row.kid, appId: row.app_id, alg: row.alg, keyMaterial: row.key_material, createdAt: row.created_at };
    },

    async rotateAppSecret(appId, wrappedSecret, previousNotAfter) {
      return (await run(link, ROTATE_APP_SECRET_SQL, [previousNotAfter, bytes(wrappedSecret), appId])).affectedRows === 1;
    },

    async deleteApp(appId, at) {
      return transaction(link, (tx) => deleteMysqlApp(tx, appId, at));
    },
  };
}

/** Deletes the app and everything of it in the caller's transaction. */
async function deleteMysqlApp(tx: Tx, appId: string, at: number): Promise<DeletedApp | undefined> {
  const [app] = await select<{ name: string | Buffer }>(tx, 'SELECT name FROM apps WHERE id = ? FOR UPDATE', [appId]);
  if (app === undefined) return undefined;
  // Locked first, as a publish or forget locks a client row before its messages.
  const clients = await select<{ no: number; id: string }>(tx, 'SELECT no, id FROM clients WHERE app_id = ? ORDER BY no FOR UPDATE', [appId]);
  const receipts = (await run(tx, 'DELETE FROM ack_receipts WHERE client_no IN (SELECT no FROM clients WHERE app_id = ?)', [appId])).affectedRows;
  const messages = (await run(tx, 'DELETE FROM messages WHERE client_no IN (SELECT no FROM clients WHERE app_id = ?)', [appId])).affectedRows;
  await run(tx, 'DELETE FROM clients WHERE app_id = ?', [appId]);
  if (clients.length > 0) await appendTombstones(tx, clients.map((client) => client.id), appId, at);
  const jwtKeys = (await run(tx, 'DELETE FROM app_jwt_keys WHERE app_id = ?', [appId])).affectedRows;
  await run(tx, 'DELETE FROM webhook_events WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE app_id = ?)', [appId]);
  await run(tx, 'DELETE FROM webhook_endpoints WHERE app_id = ?', [appId]);
  await run(tx, 'DELETE FROM apps WHERE id = ?', [appId]);
  return { appId, name: String(app.name), clients: clients.length, messages, receipts, jwtKeys, journalScrubbed: false };
}
