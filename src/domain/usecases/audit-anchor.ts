import type { KeyVault } from '../ports/key-vault.js';
import type { AuditKeyProblemCode, AuditProblem } from '../audit.js';

/**
 * Where verification takes the audit public keys from: never from the database alone, since
 * whoever can write the database can store a key of their own and sign checkpoints with it.
 *
 * - 'master-key': the KMS unwraps the stored private key and the public key is derived from
 *   it. A wrap is AES-256-GCM with the context `server-key:audit-signing` in its associated
 *   data (drivers/kms/local.ts), so nobody without the master key can make a blob that opens:
 *   a blob that opens holds a private key this installation made.
 * - 'pinned': the key's fingerprint is in config `audit.pinnedKeys` (printed by `keys show`),
 *   for a verifier that does not hold the master key.
 * - 'export': the key an export kept elsewhere names for its key version.
 */
export type AuditKeyAnchor = 'master-key' | 'pinned' | 'export';

export interface AnchoredAuditKey {
  readonly version: number;
  readonly publicKey: Uint8Array;
  readonly fingerprint: string;
  readonly anchoredBy: readonly AuditKeyAnchor[];
}

export interface AnchorDeps {
  readonly store: Pick<KeyVault, 'listServerKeys'>;
  /** The public key of the private key the master key unwraps from `wrappedSecret`; rejects when it does not open. */
  readonly derive: (wrappedSecret: Uint8Array) => Promise<Uint8Array>;
  readonly fingerprint: (publicKey: Uint8Array) => string;
  /** Fingerprints from config `audit.pinnedKeys`: when any is given, every version must be one of them. */
  readonly pinned: readonly string[];
  /** The key an export names (`--from-export`): its version must be that key. */
  readonly exported?: { readonly version: number; readonly publicKey: Uint8Array };
}

export interface AuditKeyAnchoring {
  /**
   * Every stored version, oldest first, with what anchored it: the key the master key derives,
   * else the stored one (then pinned or exported, unless `problem` says otherwise).
   */
  readonly keys: readonly AnchoredAuditKey[];
  /** Set when a version is not anchored or contradicts an anchor: nothing it signed is trusted. */
  readonly problem?: AuditProblem;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

/**
 * Anchors every stored version of the audit key (checkpoints name the version that signed
 * them: each one's key must be anchored, not only the current one). A version fails when the
 * key the master key's blob derives differs from the stored one ('audit-key-replaced'), when
 * pins are configured and it is not pinned, when the export names another key for it, or when
 * nothing anchors it ('audit-key-unanchored'). The first failure, by version, is the problem.
 */
export async function anchorAuditKeys(deps: AnchorDeps, purpose: string): Promise<AuditKeyAnchoring> {
  const stored = [...(await deps.store.listServerKeys(purpose))].sort((a, b) => a.version - b.version);
  const keys: AnchoredAuditKey[] = [];
  const problems: AuditProblem[] = [];
  const fail = (code: AuditKeyProblemCode, reason: string): void => void problems.push({ seq: 0, code, reason });
  for (const key of stored) {
    const version = key.version;
    const fingerprint = deps.fingerprint(key.publicKey);
    const name = `audit key version ${version} (fingerprint ${fingerprint})`;
    const derived = await deps.derive(key.wrappedSecret).catch(() => undefined);
    const anchoredBy: AuditKeyAnchor[] = [];
    if (derived !== undefined) {
      if (!equal(derived, key.publicKey)) {
        fail('audit-key-replaced', `the database's ${name} is not the key its private key derives (fingerprint ${deps.fingerprint(derived)}): the stored public key was replaced, and nothing it verifies is trusted`);
      }
      anchoredBy.push('master-key');
    }
    if (deps.pinned.length > 0) {
      if (deps.pinned.includes(fingerprint)) anchoredBy.push('pinned');
      else fail('audit-key-not-pinned', `the database's ${name} is not among audit.pinnedKeys (${deps.pinned.join(', ')})`);
    }
    if (deps.exported?.version === version) {
      if (equal(deps.exported.publicKey, key.publicKey)) anchoredBy.push('export');
      else fail('audit-key-not-exported', `the database's ${name} is not the key the export names (fingerprint ${deps.fingerprint(deps.exported.publicKey)})`);
    }
    if (anchoredBy.length === 0) {
      fail('audit-key-unanchored', `${name} is anchored by nothing: the master key does not open its private key, and no pin (audit.pinnedKeys) or export names it`);
    }
    const publicKey = derived ?? key.publicKey;
    keys.push({ version, publicKey, fingerprint: derived === undefined ? fingerprint : deps.fingerprint(derived), anchoredBy });
  }
  if (deps.exported !== undefined && !stored.some((key) => key.version === deps.exported!.version)) {
    fail('audit-key-not-exported', `the export names audit key version ${deps.exported.version} (fingerprint ${deps.fingerprint(deps.exported.publicKey)}), which the database does not hold (deleted)`);
  }
  return { keys, ...(problems.length > 0 ? { problem: problems[0]! } : {}) };
}
