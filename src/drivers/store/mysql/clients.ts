/**
 * ClientRegistry on MySQL (client-registry.ts): client rows and their keys, the listing,
 * and forgetting (mysql/forget.ts) with the tombstones other nodes poll for.
 */
import { LIST_CLIENTS_MAX, type ClientRegistry } from '../../../domain/ports/client-registry.js';
import { CLIENT_COLUMNS, toClient, toTombstone, type ClientRow, type TombstoneRow } from '../shared/rows.js';
import { STALE_CLIENTS_SQL } from '../shared/stale-clients.js';
import type { MysqlLink } from './link.js';
import { bytes, bytesOrNull, int, run, select, transaction } from './conn.js';
import { forgetMysqlClient } from './forget.js';

export function mysqlClientRegistry(link: MysqlLink): ClientRegistry {
  const getClient: ClientRegistry['getClient'] = async (appId, clientId) => {
    const [row] = await select<ClientRow>(link, `SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? AND id = ?`, [appId, clientId]);
    return row === undefined ? undefined : toClient(row);
  };

  return {
    getClient,

    async findClientByKey(appId, staticKey) {
      const [row] = await select<ClientRow>(link, `SELECT ${CLIENT_COLUMNS} FROM clients WHERE app_id = ? AND static_key = ?`, [appId, bytes(staticKey)]);
      return row === undefined ? undefined : toClient(row);
    },

    async setClientHpkeKey(appId, clientId, key) {
      return (await run(link, 'UPDATE clients SET hpke_key = ? WHERE app_id = ? AND id = ?', [bytesOrNull(key), appId, clientId])).affectedRows === 1;
    },

    async registerAckKey(appId, clientId, ackKey) {
      await run(link, 'UPDATE clients SET ack_key = ? WHERE app_id = ? AND id = ? AND ack_key IS NULL', [bytes(ackKey), appId, clientId]);
      return (await getClient(appId, clientId))?.ackKey;
    },

    async listClients(appId, limit) {
      // Newest first; the LIMIT is inlined (a checked whole number).
      const most = int(Math.min(limit, LIST_CLIENTS_MAX));
      const where = appId === undefined ? '' : 'WHERE app_id = ?';
      return (await select<ClientRow>(link, `SELECT ${CLIENT_COLUMNS} FROM clients ${where} ORDER BY created_at DESC, id DESC LIMIT ${most}`,
        appId === undefined ? [] : [appId])).map(toClient);
    },

    /** In one transaction; never reports the journal scrubbed (mysql/forget.ts says why). */
    async forgetClient(clientId, appId, at, staleBefore) {
      return transaction(link, (tx) => forgetMysqlClient(tx, clientId, appId, at, staleBefore));
    },

    async staleClients(seenBefore, limit) {
      return (await select<{ id: string }>(link, `${STALE_CLIENTS_SQL} ${int(limit)}`, [seenBefore])).map((row) => row.id);
    },

    async forgottenAfter(afterSeq, limit) {
      return (await select<TombstoneRow>(link,
        `SELECT seq, client_id, app_id, forgotten_at FROM forgotten_clients WHERE seq > ? ORDER BY seq LIMIT ${int(limit)}`, [afterSeq])).map(toTombstone);
    },

    async lastForgottenSeq() {
      const [row] = await select<{ seq: number }>(link, 'SELECT seq FROM forgotten_head WHERE id = 1');
      return row?.seq ?? 0;
    },
  };
}
