import type { ErrorCode } from './errors.js';
import type { MessageRecord, MessageStatus } from './types.js';

/** What the REST API and the app SDK show. Times are ISO 8601 strings (UTC) or null. */

export interface PublishAccepted {
  readonly id: string;
  readonly status: MessageStatus;
}

export interface PublishRefused {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

export type PublishResult = PublishAccepted | PublishRefused;

export interface MessageView {
  readonly id: string;
  readonly to: string;
  readonly status: MessageStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly deliveredAt: string | null;
  readonly ackedAt: string | null;
}

export interface ClientView {
  readonly id: string;
  readonly online: boolean;
  readonly lastSeen: string | null;
  readonly pending: number;
  /**
   * The client's HPKE public key (base64url of 32 bytes) from its latest hello, to seal
   * relay-blind messages to; null when it published none. Served by sealpush: a publisher
   * that cannot trust the server pins it instead (docs/relay-blind.md).
   */
  readonly hpkeKey: string | null;
}

/**
 * `GET /v1/messages/:id/receipt`: the client's signed ACK that acknowledged a message, with
 * everything a third party needs to check it (sealpush/app `verifyReceipt`). Bytes are
 * base64url without padding.
 */
export interface ReceiptView {
  readonly messageId: string;
  readonly clientId: string;
  readonly appId: string;
  readonly seq: number;
  readonly ackedAt: string;
  /** The client's Ed25519 public key as sealpush registered it: compare it with the one the client gave you. */
  readonly ackKey: string;
  readonly receipt: {
    readonly fromSeq: number;
    readonly uptoSeq: number;
    /** Every message the ACK covers, in seq order: the signature is over their (seq, id) list. */
    readonly messages: readonly { readonly seq: number; readonly id: string }[];
    /** 64 bytes. */
    readonly signature: string;
    /** The exact bytes signed, for convenience only: verifyReceipt rebuilds them and never reads these. */
    readonly signedBytes: string;
  };
}

/** `DELETE /v1/clients/:id`: the client's key and messages are destroyed. */
export interface ForgottenClientView {
  readonly id: string;
  readonly forgotten: true;
  readonly messagesDeleted: number;
  readonly receiptsDeleted: number;
  readonly forgottenAt: string;
  /** Whether the store's journal was scrubbed at once (SQLite's WAL truncated; always false on MySQL). */
  readonly journalScrubbed: boolean;
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A message past its expiry reads as expired even before the sweeper has marked it. */
export function messageView(record: MessageRecord, now: number): MessageView {
  const due = record.expiresAt <= now && (record.status === 'queued' || record.status === 'delivered');
  return {
    id: record.id,
    to: record.clientId,
    status: due ? 'expired' : record.status,
    createdAt: new Date(record.createdAt).toISOString(),
    expiresAt: new Date(record.expiresAt).toISOString(),
    deliveredAt: isoOrNull(record.deliveredAt),
    ackedAt: isoOrNull(record.ackedAt),
  };
}
