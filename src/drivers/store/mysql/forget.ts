/**
 * `forgetClient` on MySQL (ClientRegistry's contract; docs/forget.md): in the caller's
 * transaction, deletes the client's signed receipts, its messages and its row (with the key
 * salt: crypto-shredding) and appends its tombstone. InnoDB has no secure delete: the deleted
 * bytes stay in free page space, the undo and redo logs, the binlog and backups until they
 * are overwritten, so the journal is never reported scrubbed. What makes the messages
 * unreadable is the key salt's deletion, which holds all the same.
 */
import type { ForgetResult } from '../../../domain/ports/client-registry.js';
import { STILL_STALE_SQL } from '../shared/stale-clients.js';
import { run, select, type Tx } from './conn.js';
import { marks } from './chunks.js';

/** Tombstones per INSERT statement. */
const TOMBSTONE_CHUNK = 200;

/** `staleBefore`: the retention pass's guard, checked once the client row is locked (a publish locks it too). */
export async function forgetMysqlClient(
  tx: Tx,
  clientId: string,
  appId: string | undefined,
  at: number,
  staleBefore?: number,
): Promise<ForgetResult | undefined> {
  const [client] = await select<{ no: number; app_id: string }>(tx, 'SELECT no, app_id FROM clients WHERE id = ? FOR UPDATE', [clientId]);
  if (client === undefined || (appId !== undefined && client.app_id !== appId)) return undefined;
  if (staleBefore !== undefined && (await select(tx, STILL_STALE_SQL, [clientId, staleBefore])).length === 0) return undefined;
  // ack_receipts_client (schema version 2) keeps this from reading, and locking, every receipt.
  const receipts = (await run(tx, 'DELETE FROM ack_receipts WHERE client_no = ?', [client.no])).affectedRows;
  const messages = (await run(tx, 'DELETE FROM messages WHERE client_no = ?', [client.no])).affectedRows;
  await run(tx, 'DELETE FROM clients WHERE no = ?', [client.no]);
  // Its pending webhook events name it and its message ids: they go with it, unsent.
  await run(tx, 'DELETE FROM webhook_events WHERE client_id = ?', [clientId]);
  const seq = await appendTombstones(tx, [clientId], client.app_id, at);
  return { tombstone: { seq, clientId, appId: client.app_id, forgottenAt: at }, messages, receipts, journalScrubbed: false };
}

/** Appends the tombstones of `clientIds` (deleted clients of `appId`) in the caller's transaction; returns the first seq. */
export async function appendTombstones(tx: Tx, clientIds: readonly string[], appId: string, at: number): Promise<number> {
  // The tombstone head, locked: seqs become visible in order, so pollers miss none.
  const [head] = await select<{ seq: number }>(tx, 'SELECT seq FROM forgotten_head WHERE id = 1 FOR UPDATE');
  const first = Number(head?.seq ?? 0) + 1;
  for (let i = 0; i < clientIds.length; i += TOMBSTONE_CHUNK) {
    const chunk = clientIds.slice(i, i + TOMBSTONE_CHUNK);
    await run(tx, `INSERT INTO forgotten_clients (seq, client_id, app_id, forgotten_at) VALUES ${marks(chunk.length, 4)}`,
      chunk.flatMap((clientId, j) => [first + i + j, clientId, appId, at]));
  }
  await run(tx, 'UPDATE forgotten_head SET seq = ? WHERE id = 1', [first + clientIds.length - 1]);
  return first;
}
