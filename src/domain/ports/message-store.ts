import type {
  App,
  Client,
  DeliverySettings,
  MessageRecord,
  SealedPending,
  StoredApp,
  StoredJwtKey,
  StoredServerKey,
  WrappedBlob,
  WrappedColumn,
} from '../types.js';

/** A message to insert. Its payload is already sealed at rest (see PayloadCipher). */
export interface NewMessage {
  readonly appId: string;
  /** Unique per app: the publisher's idempotency key, or a generated id. */
  readonly id: string;
  readonly clientId: string;
  readonly payload: Uint8Array;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface NewClient {
  readonly id: string;
  readonly appId: string;
  readonly staticKey: Uint8Array;
  readonly createdAt: number;
}

/** A cumulative marker: every message of `clientId` with seq <= `uptoSeq`. */
export interface SeqMark {
  readonly clientId: string;
  readonly uptoSeq: number;
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
   * already held that (appId, staticKey) pair (a concurrent first connect won the race).
   */
  readonly clients: readonly Client[];
}

/**
 * The source of truth: apps, clients, messages, statuses and server keys.
 *
 * Contract for every driver:
 * - `commit` is atomic and durable: when its promise resolves, the whole batch survives a
 *   crash of the process (and, with the driver's durable setting, of the machine); when it
 *   rejects, nothing of the batch was written.
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
export interface MessageStore {
  commit(batch: WriteBatch): Promise<CommitResult>;

  createApp(app: StoredApp): Promise<void>;
  getApp(appId: string): Promise<StoredApp | undefined>;
  listApps(): Promise<App[]>;
  /** Replaces an app's delivery settings; false when there is no such app. */
  updateAppDelivery(appId: string, delivery: DeliverySettings): Promise<boolean>;
  /** Registers a bearer-token key; false (and nothing written) when its issuer and kid are taken. */
  addJwtKey(key: StoredJwtKey): Promise<boolean>;
  findJwtKey(issuer: string, kid: string): Promise<StoredJwtKey | undefined>;

  getClient(appId: string, clientId: string): Promise<Client | undefined>;
  findClientByKey(appId: string, staticKey: Uint8Array): Promise<Client | undefined>;

  getMessage(appId: string, messageId: string): Promise<MessageRecord | undefined>;
  /** Pending (queued or delivered, not expired at `now`) messages with seq > afterSeq, in seq order. */
  pendingMessages(clientId: string, afterSeq: number, limit: number, now: number): Promise<SealedPending[]>;
  countPending(clientId: string, now: number): Promise<number>;

  /** Marks up to `limit` messages expired whose expiresAt <= now; returns how many. */
  expireMessages(now: number, limit: number): Promise<number>;
  /**
   * Deletes up to `limit` finished (acked or expired) messages created before
   * `createdBefore`; returns how many. Pending messages are never purged. A purged
   * message's id no longer dedups and its status reads as unknown.
   */
  purgeMessages(createdBefore: number, limit: number): Promise<number>;

  getServerKey(purpose: string): Promise<StoredServerKey | undefined>;
  /** Inserts the key unless one with that purpose exists; returns the one that is stored. */
  putServerKeyIfAbsent(key: StoredServerKey): Promise<StoredServerKey>;
  /** Every stored version of `purpose`, newest first. */
  listServerKeys(purpose: string): Promise<StoredServerKey[]>;
  /**
   * Atomically makes `key` the newest version of its purpose, if `key.version` is exactly one
   * above the newest stored (else false, nothing written: a concurrent rotation won). The
   * version it replaces gets `notAfter = previousNotAfter` (an earlier end already set stays),
   * and every version whose notAfter <= key.createdAt is deleted with its wrapped secret.
   */
  addServerKeyVersion(key: StoredServerKey, previousNotAfter: number): Promise<boolean>;

  /**
   * Up to `limit` non-null blobs of a wrapped column, in primary-key order, from the row after
   * `after` (null: from the first). For key rotation: rows may change between pages.
   */
  wrappedBlobs(column: WrappedColumn, after: readonly (string | number)[] | null, limit: number): Promise<WrappedBlob[]>;
  /**
   * Compare-and-set, in one transaction: each row's blob becomes `replacement` only if it is
   * still `expected`, so a concurrent writer's change is never overwritten. Returns how many
   * rows were replaced.
   */
  replaceWrappedBlobs(
    column: WrappedColumn,
    changes: readonly { readonly key: readonly (string | number)[]; readonly expected: Uint8Array; readonly replacement: Uint8Array }[],
  ): Promise<number>;

  /** Resolves when the store answers; rejects when it cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
