/**
 * AppAdminStore on MySQL (app-admin-store.ts): the statements of an app's secret rotation, of
 * its deletion (in the caller's transaction, as mysql/forget.ts forgets one client: InnoDB
 * cannot scrub, so the journal is never reported scrubbed) and of the client listing.
 */
import type { DeletedApp } from '../../../domain/ports/app-registry.js';
import type { Param } from './link.js';
import type { TxStatement } from './forget.js';
import { CLIENT_COLUMNS } from '../shared/rows.js';

/** One UPDATE: MySQL assigns left to right, so the current secret is moved before it is replaced. */
export const ROTATE_APP_SECRET_SQL = `UPDATE apps SET previous_wrapped_secret = wrapped_secret, previous_secret_not_after = ?,
  wrapped_secret = ? WHERE id = ?`;

/** Newest first; the LIMIT is inlined by the caller (a checked whole number). */
export function listClientsSql(appId: string | undefined): string {
  return `SELECT ${CLIENT_COLUMNS} FROM clients ${appId === undefined ? '' : 'WHERE app_id = ?'} ORDER BY created_at DESC, id DESC LIMIT`;
}

/** Tombstones per INSERT statement. */
const TOMBSTONE_CHUNK = 200;

/** Deletes the app and everything of it in the caller's transaction (AppAdminStore.deleteApp). */
export async function deleteMysqlApp(exec: TxStatement, appId: string, at: number): Promise<DeletedApp | undefined> {
  const affected = async (sql: string, params: readonly Param[]) => ((await exec(sql, params)) as { affectedRows: number }).affectedRows;
  const [app] = (await exec('SELECT name FROM apps WHERE id = ? FOR UPDATE', [appId])) as { name: string | Buffer }[];
  if (app === undefined) return undefined;
  // Locked first, as a publish or forget locks a client row before its messages.
  const clients = (await exec('SELECT no, id FROM clients WHERE app_id = ? ORDER BY no FOR UPDATE', [appId])) as { no: number; id: string }[];
  const receipts = await affected('DELETE FROM ack_receipts WHERE client_no IN (SELECT no FROM clients WHERE app_id = ?)', [appId]);
  const messages = await affected('DELETE FROM messages WHERE client_no IN (SELECT no FROM clients WHERE app_id = ?)', [appId]);
  await exec('DELETE FROM clients WHERE app_id = ?', [appId]);
  if (clients.length > 0) {
    // The tombstone head, locked: seqs become visible in order, so pollers miss none.
    const [head] = (await exec('SELECT seq FROM forgotten_head WHERE id = 1 FOR UPDATE', [])) as { seq: number }[];
    const first = Number(head?.seq ?? 0) + 1;
    for (let i = 0; i < clients.length; i += TOMBSTONE_CHUNK) {
      const chunk = clients.slice(i, i + TOMBSTONE_CHUNK);
      await exec(`INSERT INTO forgotten_clients (seq, client_id, app_id, forgotten_at) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`,
        chunk.flatMap((client, j) => [first + i + j, client.id, appId, at]));
    }
    await exec('UPDATE forgotten_head SET seq = ? WHERE id = 1', [first + clients.length - 1]);
  }
  const jwtKeys = await affected('DELETE FROM app_jwt_keys WHERE app_id = ?', [appId]);
  await exec('DELETE FROM apps WHERE id = ?', [appId]);
  return { appId, name: String(app.name), clients: clients.length, messages, receipts, jwtKeys, journalScrubbed: false };
}
