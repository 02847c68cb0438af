import type {
  AckReceipt,
  AppPendingCount,
  Client,
  MessageRecord,
  SealedPending,
  StoredReceipt,
} from '../types.js';
import type { AuditEvent } from '../audit.js';

/** A message to insert. Its payload is already sealed at rest (see PayloadCipher). */
export interface NewMessage {
  readonly appId: string;
  /** Unique per app: the publisher's idempotency key, or a generated id. */
  readonly id: string;
  readonly clientId: string;
  readonly payload: Uint8Array;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The publish's parameters under its client's fingerprint key (ClientPayloadCipher), 32 bytes. */
  readonly fingerprint?: Uint8Array;
}

export interface NewClient {
  readonly id: string;
  readonly appId: string;
  readonly staticKey: Uint8Array;
  /** 32 random bytes from a CSPRNG (see Client.keySalt). */
  readonly keySalt: Uint8Array;
  readonly createdAt: number;
  /** The Ed25519 ack key its first hello carried, if any (see Client.ackKey). */
  readonly ackKey?: Uint8Array;
  /** The HPKE public key of the client's first hello (32 bytes), if it sent one. */
  readonly hpkeKey?: Uint8Array | null;
}

/** Most ids one `lastSeqs` call takes (bound parameters stay well under every engine's limit). */
export const LAST_SEQS_MAX = 500;

export interface ClientLastSeq {
  readonly clientId: string;
  readonly lastSeq: number;
}

/** A cumulative marker: every message of `clientId` with seq <= `uptoSeq`. */
export interface SeqMark {
  readonly clientId: string;
  readonly uptoSeq: number;
  /**
   * Acked marks only: the signed ACKs this mark merges (every one of them, in arrival order;
   * their highest uptoSeq is at most `uptoSeq`). The store keeps each, in the same
   * transaction as the ack, and links to it the acked messages (not yet linked) in the seq
   * range its list spans; getReceipt answers only for a message the list names.
   */
  readonly receipts?: readonly AckReceipt[];
}

/**
 * Everything one group commit writes. The store applies it in ONE transaction, in this
 * order: clients, messages, delivered, acked, seen.
 */
export interface WriteBatch {
  readonly clients: readonly NewClient[];
  readonly messages: readonly NewMessage[];
  readonly delivered: readonly SeqMark[];
  readonly acked: readonly SeqMark[];
  readonly seen: readonly string[];
  /** The commit time: deliveredAt, ackedAt and lastSeenAt take this value. */
  readonly at: number;
  /**
   * Audit records that are not store writes (auth failures, replays refused), appended after
   * the records the store derives from the batch itself.
   */
  readonly audit?: readonly AuditEvent[];
}

export type MessageOutcome =
  /** Inserted with the next sequence number of its client. */
  | { readonly kind: 'inserted'; readonly seq: number }
  /** An earlier message of the same app has this id: nothing was inserted. */
  | { readonly kind: 'duplicate'; readonly existing: MessageRecord }
  /** No client with this id belongs to this app: nothing was inserted. */
  | { readonly kind: 'unknown-client' }
  /** The client already holds the store's `maxPendingPerClient` pending messages: nothing was inserted. */
  | { readonly kind: 'client-full' };

export interface CommitResult {
  /** One outcome per `batch.messages` entry, same order. */
  readonly messages: readonly MessageOutcome[];
  /**
   * One client per `batch.clients` entry, same order: the one inserted, or the one that
   * already held that (appId, staticKey) pair (a concurrent first connect won the race), or
   * null when the app no longer exists (deleted while the handshake ran): nothing inserted,
   * and the rest of the batch commits as usual.
   */
  readonly clients: readonly (Client | null)[];
}

/**
 * The messages and their statuses: the group commit, the pending reads a delivery stream
 * pages through, expiry, purge and the signed receipts of acked messages.
 *
 * Contract for every driver (test/conformance/message-log.suite.ts and
 * message-log-marks.suite.ts):
 * - `commit` is atomic and durable: when its promise resolves, the whole batch survives a
 *   crash of the process (and, with the driver's durable setting, of the machine); when it
 *   rejects, nothing of the batch was written. It appends the audit records of the batch in
 *   the same transaction (AuditLog says which).
 * - Sequence numbers are per client, start at 1, and increase by 1 per inserted message in
 *   batch order. Duplicates and unknown clients consume no sequence number.
 * - Within one batch, a later message with the id of an earlier one is a duplicate of it.
 * - Status moves only forward: queued -> delivered -> acked, and queued|delivered -> expired.
 *   A delivered or acked mark never touches expired messages; ackedAt implies deliveredAt.
 * - Marks are cumulative but never revive a message past its expiry: a delivered mark skips
 *   queued messages whose expiresAt <= batch.at, and an acked mark applies to delivered
 *   messages and to queued ones not yet due (a cumulative ACK covers seqs that expired
 *   unsent; those stay expired). Expiry also erases the payload.
 * - Acking a message erases its sealed payload (it is never needed again).
 * - Reads never return expired messages as pending, even before the sweeper marks them.
 */
export interface MessageLog {
  commit(batch: WriteBatch): Promise<CommitResult>;
  getMessage(appId: string, messageId: string): Promise<MessageRecord | undefined>;
  /** Pending (queued or delivered, not expired at `now`) messages with seq > afterSeq, in seq order. */
  pendingMessages(clientId: string, afterSeq: number, limit: number, now: number): Promise<SealedPending[]>;
  countPending(clientId: string, now: number): Promise<number>;
  /** Pending messages (as countPending) per app, in one query; apps with none are left out. */
  countPendingByApp(now: number): Promise<AppPendingCount[]>;
  /**
   * The last seq assigned to each existing client of `clientIds` (at most LAST_SEQS_MAX ids),
   * whatever its messages' status; unknown ids are left out, order is unspecified. One query
   * for them all: the periodic catch-up asks it for a node's live clients, page by page.
   */
  lastSeqs(clientIds: readonly string[]): Promise<ClientLastSeq[]>;
  /**
   * Marks up to `limit` messages expired whose expiresAt <= now, with one 'expire' audit
   * record of them in the same transaction; returns how many.
   */
  expireMessages(now: number, limit: number): Promise<number>;
  /**
   * Deletes up to `limit` finished (acked or expired) messages created before
   * `createdBefore`; returns how many. Pending messages are never purged. A purged
   * message's id no longer dedups and its status reads as unknown.
   */
  purgeMessages(createdBefore: number, limit: number): Promise<number>;
  /**
   * The signed ACK that acknowledged this message, if it was acked by one that names it
   * (its seq and id) and the message is still stored; undefined otherwise (unknown, another
   * app's, not acked, or acked unsigned). The first receipt linked to a message stays its
   * proof.
   */
  getReceipt(appId: string, messageId: string): Promise<StoredReceipt | undefined>;
}
