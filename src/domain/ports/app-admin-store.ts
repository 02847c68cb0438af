import type { Client } from '../types.js';

/** Most clients one `listClients` call returns. */
export const LIST_CLIENTS_MAX = 1000;

/** What `deleteApp` destroyed. */
export interface DeletedApp {
  readonly appId: string;
  readonly name: string;
  /** Clients deleted, each with a tombstone (running nodes close their connections). */
  readonly clients: number;
  /** Messages of the app deleted, in any status. */
  readonly messages: number;
  /** Signed receipts of its clients deleted. */
  readonly receipts: number;
  /** Bearer-token keys (issuer, kid) of the app deleted. */
  readonly jwtKeys: number;
  /** As ForgetResult.journalScrubbed: whether the store could scrub its journal at once. */
  readonly journalScrubbed: boolean;
}

/**
 * The operator's whole-app writes and client listing (`sealpush apps rotate-secret`,
 * `apps delete`, `clients list`), apart from MessageStore's hot path. Every MessageStore
 * driver implements it; one conformance suite (test/conformance/message-store-apps.suite.ts)
 * holds each to it.
 */
export interface AppAdminStore {
  /**
   * Atomically makes `wrappedSecret` the app's secret and its current one the previous
   * secret, valid while now < `previousNotAfter` (a secret that was previous before is
   * dropped: at most two verify). False, nothing written, when there is no such app.
   * getApp reads both back.
   */
  rotateAppSecret(appId: string, wrappedSecret: Uint8Array, previousNotAfter: number): Promise<boolean>;
  /**
   * Deletes an app and everything of it, in ONE transaction, as forgetClient does for each of
   * its clients (docs/forget.md): every client row (its key salt: crypto-shredding) with a
   * tombstone at `at` each, their messages and signed receipts, the app's bearer-token keys,
   * then the app row with its wrapped secrets. Overwrites freed bytes where the engine allows
   * (SQLite: secure_delete, then a WAL checkpoint). The audit chain is kept: its records of
   * the app stay, as history. Resolves undefined, writing nothing, when there is no such app.
   */
  deleteApp(appId: string, at: number): Promise<DeletedApp | undefined>;
  /**
   * Up to `limit` (at most LIST_CLIENTS_MAX) clients, of one app or of all, newest first
   * (createdAt, then id, descending).
   */
  listClients(appId: string | undefined, limit: number): Promise<Client[]>;
}
