import type {
  App,
  Client,
  DeliverySettings,
  AckReceipt,
  ForgottenClient,
  MessageRecord,
  SealedPending,
  StoredReceipt,
  StoredApp,
  StoredJwtKey,
  StoredAdminToken,
  AppPendingCount,
  StoredServerKey,
  WrappedBlob,
  WrappedColumn,
} from '../types.js';
import type { AuditCheckpoint, AuditEvent, AuditHead, AuditRecord } from '../audit.js';
import type { AppAdminStore } from './app-admin-store.js';

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

/** What `forgetClient` destroyed. */
export interface ForgetResult {
  readonly tombstone: ForgottenClient;
  /** Messages of the client deleted, in any status. */
  readonly messages: number;
  /** Signed receipts (ack_receipts rows) of the client deleted, those of purged messages included. */
  readonly receipts: number;
  /**
   * Whether the store could also scrub its journal at once (SQLite: the WAL checkpointed and
   * truncated). False when another connection held it: old page images may linger there
   * until later checkpoints overwrite them.
   */
  readonly journalScrubbed: boolean;
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
 *
 * Audit (docs/audit.md): the store appends to one hash chain per database, in the same
 * transaction as the writes the records describe, so both land or neither does:
 * - `commit` appends, in this order: one 'publish' record per app of the messages it inserted
 *   (in batch order), one 'deliver' record of its delivered marks, one 'ack' record of its
 *   acked marks (indexed for findAckRecord), then `batch.audit`, each as one record;
 * - `expireMessages` appends one 'expire' record of the messages it expired.
 * Seqs start at 1 and increase by 1; each record's prevHash is its predecessor's hash (the
 * genesis hash for seq 1). Appends are serialized by the chain head, read for update in the
 * appending transaction.
 *
 * The operator's whole-app writes (rotate an app's secret, delete an app) and the client
 * listing are AppAdminStore's (app-admin-store.ts), which every driver implements too.
 */
export interface MessageStore extends AppAdminStore {
  commit(batch: WriteBatch): Promise<CommitResult>;

  createApp(app: StoredApp): Promise<void>;
  getApp(appId: string): Promise<StoredApp | undefined>;
  listApps(): Promise<App[]>;
  /** Replaces an app's delivery settings; false when there is no such app. */
  updateAppDelivery(appId: string, delivery: DeliverySettings): Promise<boolean>;
  /**
   * Turns an app's signed ACKs (receipts, docs/receipts.md) on or off; false (and nothing
   * written) when there is no such app. getApp and listApps read it back as `receipts`.
   */
  setAppReceipts(appId: string, receipts: boolean): Promise<boolean>;
  /** Registers a bearer-token key; false (and nothing written) when its issuer and kid are taken. */
  addJwtKey(key: StoredJwtKey): Promise<boolean>;
  findJwtKey(issuer: string, kid: string): Promise<StoredJwtKey | undefined>;
  /** Stores an operator credential (its hash only); false (and nothing written) when its id is taken. */
  addAdminToken(token: StoredAdminToken): Promise<boolean>;
  findAdminToken(id: string): Promise<StoredAdminToken | undefined>;
  /** Every operator credential, oldest first (hashes included: the CLI shows ids, names and dates only). */
  listAdminTokens(): Promise<StoredAdminToken[]>;
  /** Deletes an operator credential: refused from the next request on. False when there was none. */
  removeAdminToken(id: string): Promise<boolean>;

  /**
   * Sets (a Uint8Array of 32 bytes) or clears (null) the app's Ed25519 publisher-signature
   * key; false (and nothing written) when there is no such app.
   */
  setAppSigningKey(appId: string, key: Uint8Array | null): Promise<boolean>;

  getClient(appId: string, clientId: string): Promise<Client | undefined>;
  /**
   * Replaces (or, with null, clears) the HPKE public key of one of the app's clients: the
   * latest hello's key wins. False (and nothing written) when there is no such client.
   */
  setClientHpkeKey(appId: string, clientId: string, key: Uint8Array | null): Promise<boolean>;
  findClientByKey(appId: string, staticKey: Uint8Array): Promise<Client | undefined>;
  /**
   * Registers a client's ack key unless it already has one; resolves with the key the client
   * holds afterwards (the earlier one if any, so a key is never replaced), or undefined when
   * there is no such client in this app.
   */
  registerAckKey(appId: string, clientId: string, ackKey: Uint8Array): Promise<Uint8Array | undefined>;
  /**
   * The signed ACK that acknowledged this message, if it was acked by one that names it
   * (its seq and id) and the message is still stored; undefined otherwise (unknown, another
   * app's, not acked, or acked unsigned). The first receipt linked to a message stays its
   * proof.
   */
  getReceipt(appId: string, messageId: string): Promise<StoredReceipt | undefined>;

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

  /** Marks up to `limit` messages expired whose expiresAt <= now; returns how many. */
  expireMessages(now: number, limit: number): Promise<number>;
  /**
   * Deletes up to `limit` finished (acked or expired) messages created before
   * `createdBefore`; returns how many. Pending messages are never purged. A purged
   * message's id no longer dedups and its status reads as unknown.
   */
  purgeMessages(createdBefore: number, limit: number): Promise<number>;

  /**
   * Crypto-shredding, in ONE transaction: deletes the client's row (and with it its key salt,
   * so its at-rest key can never be derived again), every message of it and every signed
   * receipt of it (docs/forget.md says why), and records its tombstone. The driver overwrites the deleted bytes where its engine allows (SQLite:
   * secure_delete, then a WAL checkpoint). `appId` given: only a client of that app is
   * forgotten. Resolves undefined, writing nothing, when there is no such client. The id is
   * never reused: a later connect with the same static key creates a new client.
   * `staleBefore` given (the retention pass): only if, in that same transaction, the client is
   * still stale as `staleClients` defines it; a client seen or published to since is kept.
   */
  forgetClient(clientId: string, appId: string | undefined, at: number, staleBefore?: number): Promise<ForgetResult | undefined>;
  /**
   * Up to `limit` ids of clients whose last connection (lastSeenAt; createdAt if never marked)
   * is before `seenBefore` and that hold no message at all, in any status: the retention
   * pass (usecases/retention.ts) forgets them. Order is unspecified.
   */
  staleClients(seenBefore: number, limit: number): Promise<string[]>;
  /** Tombstones with seq > afterSeq, in seq order, at most `limit`. */
  forgottenAfter(afterSeq: number, limit: number): Promise<ForgottenClient[]>;
  /** The highest tombstone seq (0: none yet): where a starting node begins to poll. */
  lastForgottenSeq(): Promise<number>;

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

  /** Appends each event as one record (in one transaction), all at time `at`. */
  appendAudit(events: readonly AuditEvent[], at: number): Promise<void>;
  auditHead(): Promise<AuditHead>;
  /** Up to `limit` records with seq > afterSeq, in seq order: verification pages through these. */
  auditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** The 'ack' record holding the first ack of `clientId` that covers `seq`, if any. */
  findAckRecord(clientId: string, seq: number): Promise<AuditRecord | undefined>;
  /** Stores a signed checkpoint; false (nothing written) when one for that seq exists. */
  addAuditCheckpoint(checkpoint: AuditCheckpoint): Promise<boolean>;
  /** Up to `limit` checkpoints with seq > afterSeq, in seq order. */
  auditCheckpoints(afterSeq: number, limit: number): Promise<AuditCheckpoint[]>;
  latestAuditCheckpoint(): Promise<AuditCheckpoint | undefined>;

  /** Resolves when the store answers; rejects when it cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
