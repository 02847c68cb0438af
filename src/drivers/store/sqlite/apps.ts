/**
 * AppAdminStore on SQLite (app-admin-store.ts): an app's secret rotation, the deletion of an
 * app with everything of it (crypto-shredding, as sqlite/forget.ts does for one client), and
 * the client listing.
 */
import type Database from 'better-sqlite3';
import type { DeletedApp } from '../../../domain/ports/app-registry.js';
import { LIST_CLIENTS_MAX } from '../../../domain/ports/client-registry.js';
import type { Client } from '../../../domain/types.js';
import { scrubbing } from './forget.js';
import { CLIENT_COLUMNS, toClient, type ClientRow } from '../shared/rows.js';

export interface SqliteAppAdmin {
  rotateSecret(appId: string, wrappedSecret: Uint8Array, previousNotAfter: number): boolean;
  deleteApp(appId: string, at: number): DeletedApp | undefined;
  listClients(appId: string | undefined, limit: number): Client[];
}

export function sqliteAppAdmin(db: Database.Database): SqliteAppAdmin {
  // One UPDATE: the right-hand sides read the row as it was, so the current secret moves.
  const rotate = db.prepare(`UPDATE apps SET previous_wrapped_secret = wrapped_secret, previous_secret_not_after = ?, wrapped_secret = ?
    WHERE id = ?`);
  const appName = db.prepare('SELECT name FROM apps WHERE id = ?').pluck();
  const deleteReceipts = db.prepare('DELETE FROM ack_receipts WHERE client_no IN (SELECT no FROM clients WHERE app_id = ?)');
  const deleteMessages = db.prepare('DELETE FROM messages WHERE client_no IN (SELECT no FROM clients WHERE app_id = ?)');
  // Tombstones in client order, so nodes polling them by seq see every client of the app.
  const insertTombstones = db.prepare(`INSERT INTO forgotten_clients (client_id, app_id, forgotten_at)
    SELECT id, app_id, ? FROM clients WHERE app_id = ? ORDER BY no`);
  const deleteClients = db.prepare('DELETE FROM clients WHERE app_id = ?');
  const deleteJwtKeys = db.prepare('DELETE FROM app_jwt_keys WHERE app_id = ?');
  const deleteApp = db.prepare('DELETE FROM apps WHERE id = ?');
  const clientsOfApp = db.prepare(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`);
  const allClients = db.prepare(`SELECT ${CLIENT_COLUMNS} FROM clients ORDER BY created_at DESC, id DESC LIMIT ?`);

  const remove = db.transaction((appId: string, at: number): Omit<DeletedApp, 'journalScrubbed'> | undefined => {
    const name = appName.get(appId) as string | undefined;
    if (name === undefined) return undefined;
    const receipts = deleteReceipts.run(appId).changes;
    const messages = deleteMessages.run(appId).changes;
    const clients = insertTombstones.run(at, appId).changes;
    deleteClients.run(appId);
    const jwtKeys = deleteJwtKeys.run(appId).changes;
    deleteApp.run(appId);
    return { appId, name, clients, messages, receipts, jwtKeys };
  });

  return {
    rotateSecret: (appId, wrappedSecret, previousNotAfter) => rotate.run(previousNotAfter, wrappedSecret, appId).changes === 1,
    deleteApp: (appId, at) => scrubbing(db, () => remove.immediate(appId, at)),
    listClients: (appId, limit) => {
      const most = Math.min(limit, LIST_CLIENTS_MAX);
      return ((appId === undefined ? allClients.all(most) : clientsOfApp.all(appId, most)) as ClientRow[]).map(toClient);
    },
  };
}
