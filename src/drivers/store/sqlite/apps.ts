/**
 * AppRegistry on SQLite (ports/app-registry.ts): apps, their delivery and receipt settings,
 * signing and JWT keys, the secret's rotation, and the deletion of an app with everything of
 * it (crypto-shredding, as forget.ts does for one client).
 */
import type Database from 'better-sqlite3';
import type { AppRegistry, DeletedApp } from '../../../domain/ports/app-registry.js';
import type { StoredJwtKey } from '../../../domain/types.js';
import { scrubbing } from './forget.js';
import { APP_BY_ID } from './statements.js';
import { deliveryOf, storedDelivery, toStoredApp, type AppRow } from '../shared/rows.js';

type JwtKeyRow = { issuer: string; kid: string; app_id: string; alg: StoredJwtKey['alg']; key_material: Buffer; created_at: number };

export function sqliteAppRegistry(db: Database.Database): AppRegistry {
  const insertApp = db.prepare('INSERT INTO apps (id, name, wrapped_secret, created_at, delivery, receipts) VALUES (?, ?, ?, ?, ?, ?)');
  const appById = db.prepare(APP_BY_ID);
  const allApps = db.prepare('SELECT id, name, created_at, delivery, receipts FROM apps ORDER BY created_at, id');
  const setDelivery = db.prepare('UPDATE apps SET delivery = ? WHERE id = ?');
  const setReceipts = db.prepare('UPDATE apps SET receipts = ? WHERE id = ?');
  const setSigningKey = db.prepare('UPDATE apps SET signing_key = ? WHERE id = ?');
  const insertJwtKey = db.prepare(
    `INSERT INTO app_jwt_keys (issuer, kid, app_id, alg, key_material, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (issuer, kid) DO NOTHING`,
  );
  const jwtKey = db.prepare('SELECT issuer, kid, app_id, alg, key_material, created_at FROM app_jwt_keys WHERE issuer = ? AND kid = ?');
  // One UPDATE: the right-hand sides read the row as it was, so the current secret moves.
  const rotate = db.prepare(`UPDATE apps SET previous_wrapped_secret = wrapped_secret, previous_secret_not_after = ?, wrapped_secret = ?
    WHERE id = ?`);
  const remove = appRemoval(db);

  return {
    async createApp(app) {
      insertApp.run(app.id, app.name, app.wrappedSecret, app.createdAt, storedDelivery(app.delivery), app.receipts === true ? 1 : 0);
    },
    async getApp(appId) {
      const row = appById.get(appId) as AppRow | undefined;
      return row === undefined ? undefined : toStoredApp(row);
    },
    async listApps() {
      const rows = allApps.all() as Omit<AppRow, 'wrapped_secret'>[];
      return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at, delivery: deliveryOf(row), receipts: row.receipts === 1 }));
    },
    async updateAppDelivery(appId, delivery) {
      return setDelivery.run(storedDelivery(delivery), appId).changes === 1;
    },
    async setAppReceipts(appId, receipts) {
      return setReceipts.run(receipts ? 1 : 0, appId).changes === 1;
    },
    async setAppSigningKey(appId, key) {
      return setSigningKey.run(key, appId).changes === 1;
    },
    async addJwtKey(key) {
      return insertJwtKey.run(key.issuer, key.kid, key.appId, key.alg, key.keyMaterial, key.createdAt).changes === 1;
    },
    async findJwtKey(issuer, kid) {
      const row = jwtKey.get(issuer, kid) as JwtKeyRow | undefined;
      if (row === undefined) return undefined;
      return { issuer: row.issuer, kid: row.kid, appId: row.app_id, alg: row.alg, keyMaterial: row.key_material, createdAt: row.created_at };
    },
    async rotateAppSecret(appId, wrappedSecret, previousNotAfter) {
      return rotate.run(previousNotAfter, wrappedSecret, appId).changes === 1;
    },
    async deleteApp(appId, at) {
      return scrubbing(db, () => remove.immediate(appId, at));
    },
  };
}

/** The deletion of one app and everything of it, in one transaction (run under `scrubbing`). */
function appRemoval(db: Database.Database) {
  const appName = db.prepare('SELECT name FROM apps WHERE id = ?').pluck();
  const deleteReceipts = db.prepare('DELETE FROM ack_receipts WHERE client_no IN (SELECT no FROM clients WHERE app_id = ?)');
  const deleteMessages = db.prepare('DELETE FROM messages WHERE client_no IN (SELECT no FROM clients WHERE app_id = ?)');
  // Tombstones in client order, so nodes polling them by seq see every client of the app.
  const insertTombstones = db.prepare(`INSERT INTO forgotten_clients (client_id, app_id, forgotten_at)
    SELECT id, app_id, ? FROM clients WHERE app_id = ? ORDER BY no`);
  const deleteClients = db.prepare('DELETE FROM clients WHERE app_id = ?');
  const deleteJwtKeys = db.prepare('DELETE FROM app_jwt_keys WHERE app_id = ?');
  const deleteWebhookEvents = db.prepare('DELETE FROM webhook_events WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE app_id = ?)');
  const deleteWebhookEndpoints = db.prepare('DELETE FROM webhook_endpoints WHERE app_id = ?');
  const deleteApp = db.prepare('DELETE FROM apps WHERE id = ?');

  return db.transaction((appId: string, at: number): Omit<DeletedApp, 'journalScrubbed'> | undefined => {
    const name = appName.get(appId) as string | undefined;
    if (name === undefined) return undefined;
    const receipts = deleteReceipts.run(appId).changes;
    const messages = deleteMessages.run(appId).changes;
    const clients = insertTombstones.run(at, appId).changes;
    deleteClients.run(appId);
    const jwtKeys = deleteJwtKeys.run(appId).changes;
    deleteWebhookEvents.run(appId);
    deleteWebhookEndpoints.run(appId);
    deleteApp.run(appId);
    return { appId, name, clients, messages, receipts, jwtKeys };
  });
}
