import type { Client, ForgottenClient } from '../types.js';

/** Most clients one `listClients` call returns. */
export const LIST_CLIENTS_MAX = 1000;

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

/**
 * The clients: their keys, their lookup at handshake time, the operator's listing, and their
 * forgetting (crypto-shredding) with the tombstones other nodes poll. New clients are written
 * by MessageLog.commit, in the group commit that registers them.
 *
 * Contract for every driver (test/conformance/client-registry.suite.ts): a client id is never
 * reused; a client belongs to one app and is found only through it; a forgotten client's key
 * salt is gone for good, and its tombstone is visible to `forgottenAfter` from the moment
 * `forgetClient` resolves.
 */
export interface ClientRegistry {
  getClient(appId: string, clientId: string): Promise<Client | undefined>;
  findClientByKey(appId: string, staticKey: Uint8Array): Promise<Client | undefined>;
  /**
   * Replaces (or, with null, clears) the HPKE public key of one of the app's clients: the
   * latest hello's key wins. False (and nothing written) when there is no such client.
   */
  setClientHpkeKey(appId: string, clientId: string, key: Uint8Array | null): Promise<boolean>;
  /**
   * Registers a client's ack key unless it already has one; resolves with the key the client
   * holds afterwards (the earlier one if any, so a key is never replaced), or undefined when
   * there is no such client in this app.
   */
  registerAckKey(appId: string, clientId: string, ackKey: Uint8Array): Promise<Uint8Array | undefined>;
  /**
   * Up to `limit` (at most LIST_CLIENTS_MAX) clients, of one app or of all, newest first
   * (createdAt, then id, descending).
   */
  listClients(appId: string | undefined, limit: number): Promise<Client[]>;
  /**
   * Crypto-shredding, in ONE transaction: deletes the client's row (and with it its key salt,
   * so its at-rest key can never be derived again), every message of it and every signed
   * receipt of it (docs/forget.md says why), and records its tombstone. The driver overwrites
   * the deleted bytes where its engine allows (SQLite: secure_delete, then a WAL checkpoint).
   * `appId` given: only a client of that app is forgotten. Resolves undefined, writing
   * nothing, when there is no such client. The id is never reused: a later connect with the
   * same static key creates a new client. `staleBefore` given (the retention pass): only if,
   * in that same transaction, the client is still stale as `staleClients` defines it; a
   * client seen or published to since is kept.
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
}
