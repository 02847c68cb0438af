/**
 * What the SQL drivers share: row shapes (the column names are the same in every engine),
 * their mapping to domain types, and the audit events a commit derives from its batch.
 */
import type { MessageOutcome, WriteBatch } from '../../../domain/ports/message-log.js';
import type {
  Client,
  DeliverySettings,
  ForgottenClient,
  MessageRecord,
  MessageStatus,
  StoredAdminToken,
  StoredApp,
  StoredReceipt,
  StoredServerKey,
} from '../../../domain/types.js';
import { decodeCoveredList } from '../../../crypto/ack-receipt.js';
import { DIRECT_DELIVERY, parseDeliverySettings } from '../../../domain/delivery-settings.js';
import { ackEvent, deliverEvent, publishEvent, type AuditCheckpoint, type AuditEvent, type AuditRecord } from '../../../domain/audit.js';
import { errorMessage } from '../../../domain/errors.js';

/**
 * Statuses are stored as small integers. The order matters: `status < 2` means pending
 * (queued or delivered), which the partial expiry index and the pending reads rely on.
 */
export const STATUS_CODE: Readonly<Record<MessageStatus, number>> = {
  queued: 0,
  delivered: 1,
  acked: 2,
  expired: 3,
};

/** STATUS_CODE inverted: the status stored as `code`. */
export const STATUS_BY_CODE: readonly MessageStatus[] = ['queued', 'delivered', 'acked', 'expired'];

export interface ClientRow {
  id: string; app_id: string; static_key: Uint8Array; key_salt: Uint8Array | null; last_seq: number; acked_seq: number;
  created_at: number; last_seen_at: number | null; ack_key: Uint8Array | null; hpke_key: Uint8Array | null;
}
export interface MessageRow {
  app_id: string; id: string; client_id: string; seq: number; status: number;
  created_at: number; expires_at: number; delivered_at: number | null; acked_at: number | null; fingerprint: Uint8Array | null;
}
export interface TombstoneRow { seq: number; client_id: string; app_id: string; forgotten_at: number }
export interface AuditRow { seq: number; at: number; kind: string; fields: string; prev_hash: Uint8Array; hash: Uint8Array }
export interface CheckpointRow { seq: number; head_hash: Uint8Array; at: number; key_version: number; signature: Uint8Array }
export interface ServerKeyRow {
  purpose: string; version: number; public_key: Uint8Array; wrapped_secret: Uint8Array; created_at: number; not_after: number | null;
}
export interface ReceiptRow { client_id: string; from_seq: number; upto_seq: number; covered: Uint8Array; signature: Uint8Array; acked_at: number }

export interface AppRow {
  id: string; name: string; wrapped_secret: Uint8Array; created_at: number; delivery: string | null; signing_key: Uint8Array | null; receipts: number;
  previous_wrapped_secret: Uint8Array | null; previous_secret_not_after: number | null;
}

export const APP_COLUMNS = 'id, name, wrapped_secret, created_at, delivery, signing_key, receipts, previous_wrapped_secret, previous_secret_not_after';

export function toStoredApp(row: AppRow): StoredApp {
  return {
    id: row.id,
    name: row.name,
    wrappedSecret: row.wrapped_secret,
    createdAt: Number(row.created_at),
    delivery: deliveryOf(row),
    receipts: Number(row.receipts) === 1,
    signingKey: row.signing_key,
    previousWrappedSecret: row.previous_wrapped_secret,
    previousSecretNotAfter: row.previous_secret_not_after === null ? null : Number(row.previous_secret_not_after),
  };
}

export const CLIENT_COLUMNS = 'id, app_id, static_key, key_salt, last_seq, acked_seq, created_at, last_seen_at, ack_key, hpke_key';

/** NULL is direct delivery, so rows written before delivery settings existed read as what they were. */
export function storedDelivery(delivery: DeliverySettings): string | null {
  return delivery.mode === 'direct' ? null : JSON.stringify(delivery);
}

export function deliveryOf(row: { id: string; delivery: string | null }): DeliverySettings {
  if (row.delivery === null) return DIRECT_DELIVERY;
  try {
    return parseDeliverySettings(JSON.parse(row.delivery));
  } catch (err) {
    throw new Error(`store: app ${row.id} has unreadable delivery settings (${errorMessage(err)})`);
  }
}

export function toClient(row: ClientRow): Client {
  if (row.key_salt === null) throw new Error(`store: client ${row.id} has no key salt`);
  const client: Client = {
    id: row.id,
    appId: row.app_id,
    staticKey: row.static_key,
    keySalt: row.key_salt,
    lastSeq: Number(row.last_seq),
    ackedSeq: Number(row.acked_seq),
    createdAt: Number(row.created_at),
    lastSeenAt: row.last_seen_at === null ? null : Number(row.last_seen_at),
    hpkeKey: row.hpke_key,
  };
  return row.ack_key === null ? client : { ...client, ackKey: row.ack_key };
}

export function toMessageRecord(row: MessageRow): MessageRecord {
  const status = STATUS_BY_CODE[row.status];
  if (status === undefined) throw new Error(`store: message ${row.id} has unknown status ${row.status}`);
  return {
    appId: row.app_id,
    id: row.id,
    clientId: row.client_id,
    seq: row.seq,
    status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    deliveredAt: row.delivered_at,
    ackedAt: row.acked_at,
    fingerprint: row.fingerprint === null ? null : new Uint8Array(row.fingerprint),
  };
}

export function toServerKey(row: ServerKeyRow): StoredServerKey {
  return {
    purpose: row.purpose,
    version: row.version,
    publicKey: row.public_key,
    wrappedSecret: row.wrapped_secret,
    createdAt: row.created_at,
    ...(row.not_after === null ? {} : { notAfter: row.not_after }),
  };
}

export interface AdminTokenRow { id: string; name: string; token_hash: Uint8Array; created_at: number }

export function toAdminToken(row: AdminTokenRow): StoredAdminToken {
  return { id: String(row.id), name: String(row.name), tokenHash: new Uint8Array(row.token_hash), createdAt: Number(row.created_at) };
}

export function toReceipt(row: ReceiptRow): StoredReceipt {
  return {
    clientId: row.client_id,
    fromSeq: row.from_seq,
    uptoSeq: row.upto_seq,
    messages: decodeCoveredList(row.covered),
    signature: new Uint8Array(row.signature),
    ackedAt: row.acked_at,
  };
}

export function toAuditRecord(row: AuditRow): AuditRecord {
  return { seq: row.seq, at: row.at, kind: row.kind, fields: row.fields, prevHash: row.prev_hash, hash: row.hash };
}

export function toCheckpoint(row: CheckpointRow): AuditCheckpoint {
  return { seq: row.seq, headHash: row.head_hash, at: row.at, keyVersion: row.key_version, signature: row.signature };
}

export function toTombstone(row: TombstoneRow): ForgottenClient {
  return { seq: row.seq, clientId: row.client_id, appId: row.app_id, forgottenAt: row.forgotten_at };
}

export function isEmpty(batch: WriteBatch): boolean {
  return batch.clients.length === 0 && batch.messages.length === 0 && batch.delivered.length === 0
    && batch.acked.length === 0 && batch.seen.length === 0 && (batch.audit?.length ?? 0) === 0;
}

/** One publish record per app: the messages of the batch that were inserted, in batch order. */
export function publishEvents(batch: WriteBatch, outcomes: readonly MessageOutcome[]): AuditEvent[] {
  const perApp = new Map<string, [string, string, number][]>();
  batch.messages.forEach((m, i) => {
    const outcome = outcomes[i]!;
    if (outcome.kind !== 'inserted') return;
    let list = perApp.get(m.appId);
    if (!list) perApp.set(m.appId, (list = []));
    list.push([m.id, m.clientId, outcome.seq]);
  });
  return [...perApp].map(([appId, messages]) => publishEvent(appId, messages));
}

/**
 * The audit records a commit appends (see the port), in order; `ackIndex` is the position
 * of its 'ack' record (the one audit_acks points to), -1 when it has none.
 */
export function commitAuditEvents(batch: WriteBatch, outcomes: readonly MessageOutcome[]): { events: AuditEvent[]; ackIndex: number } {
  const events = publishEvents(batch, outcomes);
  if (batch.delivered.length > 0) events.push(deliverEvent(batch.delivered));
  const ackIndex = batch.acked.length > 0 ? events.length : -1;
  if (batch.acked.length > 0) events.push(ackEvent(batch.acked));
  if (batch.audit) events.push(...batch.audit);
  return { events, ackIndex };
}
