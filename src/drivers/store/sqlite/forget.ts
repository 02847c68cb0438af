/**
 * `forgetClient` on SQLite (ClientRegistry's contract; docs/forget.md): one transaction that
 * deletes the client's signed receipts, its messages and its row (with the key salt, so its
 * at-rest key can never be derived again) and records its tombstone, run with
 * `secure_delete = ON` so the freed bytes are zeroed; then a TRUNCATE checkpoint empties the
 * WAL, which still held the old page images.
 */
import type Database from 'better-sqlite3';
import type { ForgetResult } from '../../../domain/ports/client-registry.js';
import { STILL_STALE_SQL } from '../shared/stale-clients.js';

/** `staleBefore`: the retention pass's guard; the client is forgotten only if still stale then. */
export type ForgetClient = (clientId: string, appId: string | undefined, at: number, staleBefore?: number) => ForgetResult | undefined;

export function sqliteForgetter(db: Database.Database): ForgetClient {
  const clientToForget = db.prepare('SELECT no, app_id FROM clients WHERE id = ?');
  // ack_receipts_client (schema version 12) keeps this from reading every receipt.
  const deleteReceipts = db.prepare('DELETE FROM ack_receipts WHERE client_no = ?');
  const deleteMessages = db.prepare('DELETE FROM messages WHERE client_no = ?');
  const deleteClient = db.prepare('DELETE FROM clients WHERE no = ?');
  // Its pending webhook events name it and its message ids: they go with it, unsent.
  const deleteWebhookEvents = db.prepare('DELETE FROM webhook_events WHERE client_id = ?');
  const stillStale = db.prepare(STILL_STALE_SQL);
  const insertTombstone = db.prepare('INSERT INTO forgotten_clients (client_id, app_id, forgotten_at) VALUES (?, ?, ?)');

  const forget = db.transaction((clientId: string, appId: string | undefined, at: number, staleBefore?: number): Omit<ForgetResult, 'journalScrubbed'> | undefined => {
    const client = clientToForget.get(clientId) as { no: number; app_id: string } | undefined;
    if (client === undefined || (appId !== undefined && client.app_id !== appId)) return undefined;
    if (staleBefore !== undefined && stillStale.get(clientId, staleBefore) === undefined) return undefined;
    const receipts = deleteReceipts.run(client.no).changes;
    const messages = deleteMessages.run(client.no).changes;
    deleteClient.run(client.no);
    deleteWebhookEvents.run(clientId);
    const seq = Number(insertTombstone.run(clientId, client.app_id, at).lastInsertRowid);
    return { tombstone: { seq, clientId, appId: client.app_id, forgottenAt: at }, messages, receipts };
  });

  return (clientId, appId, at, staleBefore) => scrubbing(db, () => forget.immediate(clientId, appId, at, staleBefore));
}

/**
 * Runs a deleting transaction with `secure_delete = ON`, so the freed bytes are zeroed, then
 * (when it deleted anything: `run` resolved a value) empties the WAL, which still held the old
 * page images; `journalScrubbed` says whether that checkpoint could finish now.
 */
export function scrubbing<T extends object>(db: Database.Database, run: () => T | undefined): (T & { journalScrubbed: boolean }) | undefined {
  let deleted;
  db.pragma('secure_delete = ON');
  try {
    deleted = run();
  } finally {
    db.pragma('secure_delete = FAST');
  }
  if (deleted === undefined) return undefined;
  const [checkpoint] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
  return { ...deleted, journalScrubbed: checkpoint?.busy === 0 };
}
