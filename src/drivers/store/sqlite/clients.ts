/**
 * ClientRegistry on SQLite (ports/client-registry.ts): client rows and their keys, the
 * listing, and the retention side: stale clients, forgetting one (forget.ts) and the
 * tombstones other nodes poll to drop a forgotten client's connections.
 *
 * A client is created only inside a group commit (commit.ts), with the messages of its batch.
 */
import type Database from 'better-sqlite3';
import { LIST_CLIENTS_MAX, type ClientRegistry } from '../../../domain/ports/client-registry.js';
import { sqliteForgetter } from './forget.js';
import { CLIENT_BY_KEY } from './statements.js';
import { STALE_CLIENTS_SQL } from '../shared/stale-clients.js';
import { CLIENT_COLUMNS, toClient, toTombstone, type ClientRow, type TombstoneRow } from '../shared/rows.js';

export function sqliteClientRegistry(db: Database.Database): ClientRegistry {
  const clientById = db.prepare(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? AND id = ?`);
  const clientByKey = db.prepare(CLIENT_BY_KEY);
  const setHpkeKey = db.prepare('UPDATE clients SET hpke_key = ? WHERE app_id = ? AND id = ?');
  const setAckKeyIfNone = db.prepare('UPDATE clients SET ack_key = ? WHERE app_id = ? AND id = ? AND ack_key IS NULL');
  const clientsOfApp = db.prepare(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`);
  const allClients = db.prepare(`SELECT ${CLIENT_COLUMNS} FROM clients ORDER BY created_at DESC, id DESC LIMIT ?`);
  const staleClients = db.prepare(`${STALE_CLIENTS_SQL} ?`).pluck();
  const tombstonesAfter = db.prepare('SELECT seq, client_id, app_id, forgotten_at FROM forgotten_clients WHERE seq > ? ORDER BY seq LIMIT ?');
  const lastTombstone = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM forgotten_clients').pluck();
  const forget = sqliteForgetter(db);

  const getClient = (appId: string, clientId: string) => {
    const row = clientById.get(appId, clientId) as ClientRow | undefined;
    return row === undefined ? undefined : toClient(row);
  };

  return {
    async getClient(appId, clientId) {
      return getClient(appId, clientId);
    },
    async findClientByKey(appId, staticKey) {
      const row = clientByKey.get(appId, staticKey) as ClientRow | undefined;
      return row === undefined ? undefined : toClient(row);
    },
    async setClientHpkeKey(appId, clientId, key) {
      return setHpkeKey.run(key, appId, clientId).changes === 1;
    },
    async registerAckKey(appId, clientId, ackKey) {
      setAckKeyIfNone.run(ackKey, appId, clientId);
      return getClient(appId, clientId)?.ackKey;
    },
    async listClients(appId, limit) {
      const most = Math.min(limit, LIST_CLIENTS_MAX);
      return ((appId === undefined ? allClients.all(most) : clientsOfApp.all(appId, most)) as ClientRow[]).map(toClient);
    },
    /** Receipts, messages and row in one secure_delete transaction, then the WAL truncated (forget.ts). */
    async forgetClient(clientId, appId, at, staleBefore) {
      return forget(clientId, appId, at, staleBefore);
    },
    async staleClients(seenBefore, limit) {
      return staleClients.all(seenBefore, limit) as string[];
    },
    async forgottenAfter(afterSeq, limit) {
      return (tombstonesAfter.all(afterSeq, limit) as TombstoneRow[]).map(toTombstone);
    },
    async lastForgottenSeq() {
      return lastTombstone.get() as number;
    },
  };
}
