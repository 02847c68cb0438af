/**
 * `forgetClient` on MySQL (Store's contract; docs/forget.md): in the caller's
 * transaction, deletes the client's signed receipts, its messages and its row (with the key
 * salt: crypto-shredding) and appends its tombstone. InnoDB has no secure delete: the deleted
 * bytes stay in free page space, the undo and redo logs, the binlog and backups until they
 * are overwritten, so the journal is never reported scrubbed. What makes the messages
 * unreadable is the key salt's deletion, which holds all the same.
 */
import type { ForgetResult } from '../../../domain/ports/client-registry.js';
import type { Param } from './link.js';
import { STILL_STALE_SQL } from '../shared/stale-clients.js';

/** Runs one statement in the transaction: the rows of a SELECT, the result of anything else. */
export type TxStatement = (sql: string, params: readonly Param[]) => Promise<unknown>;

/** `staleBefore`: the retention pass's guard, checked once the client row is locked (a publish locks it too). */
export async function forgetMysqlClient(
  exec: TxStatement,
  clientId: string,
  appId: string | undefined,
  at: number,
  staleBefore?: number,
): Promise<ForgetResult | undefined> {
  const affected = async (sql: string, params: readonly Param[]) => ((await exec(sql, params)) as { affectedRows: number }).affectedRows;
  const [client] = (await exec('SELECT no, app_id FROM clients WHERE id = ? FOR UPDATE', [clientId])) as { no: number; app_id: string }[];
  if (client === undefined || (appId !== undefined && client.app_id !== appId)) return undefined;
  if (staleBefore !== undefined && ((await exec(STILL_STALE_SQL, [clientId, staleBefore])) as unknown[]).length === 0) return undefined;
  // ack_receipts_client (schema version 2) keeps this from reading, and locking, every receipt.
  const receipts = await affected('DELETE FROM ack_receipts WHERE client_no = ?', [client.no]);
  const messages = await affected('DELETE FROM messages WHERE client_no = ?', [client.no]);
  await exec('DELETE FROM clients WHERE no = ?', [client.no]);
  // The tombstone head, locked: seqs become visible in order, so pollers miss none.
  const [head] = (await exec('SELECT seq FROM forgotten_head WHERE id = 1 FOR UPDATE', [])) as { seq: number }[];
  const seq = (head?.seq ?? 0) + 1;
  await exec('UPDATE forgotten_head SET seq = ? WHERE id = 1', [seq]);
  await exec('INSERT INTO forgotten_clients (seq, client_id, app_id, forgotten_at) VALUES (?, ?, ?, ?)', [seq, clientId, client.app_id, at]);
  return { tombstone: { seq, clientId, appId: client.app_id, forgottenAt: at }, messages, receipts, journalScrubbed: false };
}
