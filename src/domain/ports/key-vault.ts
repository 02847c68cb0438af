import type { StoredAdminToken, StoredServerKey, WrappedBlob, WrappedColumn } from '../types.js';

/**
 * The server's own secrets at rest: its versioned keys (Noise static key, audit signing key,
 * ...), every column the KMS wraps (for master-key rotation), and the operators' credentials.
 *
 * Contract for every driver (test/conformance/key-vault.suite.ts): secrets are stored only
 * wrapped (admin tokens as hashes); a version is added only on top of the newest, so two
 * nodes rotating at once cannot both win; a wrapped blob is replaced only if it still holds
 * what the caller read.
 */
export interface KeyVault {
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
   * For keys that live by epoch rather than by rotation (resumption ticket keys: the version is
   * the epoch): inserts `key` unless its purpose already holds that version, and returns the
   * stored one (of two nodes putting the same epoch at once, both get the first one's key).
   * Then deletes every version of the purpose outside `keep` (inclusive), wrapped secret and
   * all, so an epoch's key is gone for good once it is out of the window.
   */
  putServerKeyEpoch(key: StoredServerKey, keep: { readonly from: number; readonly to: number }): Promise<StoredServerKey>;
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
  /** Stores an operator credential (its hash only); false (and nothing written) when its id is taken. */
  addAdminToken(token: StoredAdminToken): Promise<boolean>;
  findAdminToken(id: string): Promise<StoredAdminToken | undefined>;
  /** Every operator credential, oldest first (hashes included: the CLI shows ids, names and dates only). */
  listAdminTokens(): Promise<StoredAdminToken[]>;
  /** Deletes an operator credential: refused from the next request on. False when there was none. */
  removeAdminToken(id: string): Promise<boolean>;
}
