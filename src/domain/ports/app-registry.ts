import type { App, DeliverySettings, StoredApp, StoredJwtKey } from '../types.js';

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
 * The apps: their settings, secrets, publisher-signature keys and bearer-token keys, and the
 * operator's whole-app writes (`sealpush apps rotate-secret`, `apps delete`).
 *
 * Contract for every driver (test/conformance/app-registry.suite.ts): each write is one
 * transaction; a write naming an app that does not exist writes nothing and says so (false
 * or undefined); secrets are stored as the KMS wrapped them, never in the clear.
 */
export interface AppRegistry {
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
  /**
   * Sets (a Uint8Array of 32 bytes) or clears (null) the app's Ed25519 publisher-signature
   * key; false (and nothing written) when there is no such app.
   */
  setAppSigningKey(appId: string, key: Uint8Array | null): Promise<boolean>;
  /** Registers a bearer-token key; false (and nothing written) when its issuer and kid are taken. */
  addJwtKey(key: StoredJwtKey): Promise<boolean>;
  findJwtKey(issuer: string, kid: string): Promise<StoredJwtKey | undefined>;
  /**
   * Atomically makes `wrappedSecret` the app's secret and its current one the previous
   * secret, valid while now < `previousNotAfter` (a secret that was previous before is
   * dropped: at most two verify). False, nothing written, when there is no such app.
   * getApp reads both back.
   */
  rotateAppSecret(appId: string, wrappedSecret: Uint8Array, previousNotAfter: number): Promise<boolean>;
  /**
   * Deletes an app and everything of it, in ONE transaction, as ClientRegistry.forgetClient
   * does for each of its clients (docs/forget.md): every client row (its key salt:
   * crypto-shredding) with a tombstone at `at` each, their messages and signed receipts, the
   * app's bearer-token keys, then the app row with its wrapped secrets. Overwrites freed bytes
   * where the engine allows (SQLite: secure_delete, then a WAL checkpoint). The audit chain is
   * kept: its records of the app stay, as history. Resolves undefined, writing nothing, when
   * there is no such app.
   */
  deleteApp(appId: string, at: number): Promise<DeletedApp | undefined>;
}
