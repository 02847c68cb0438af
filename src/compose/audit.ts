/**
 * The audit log's part of the composition root (node.ts wires a node; this, the audit key,
 * its checkpointer and its verification): `sealpush audit verify`, `POST /v1/admin/audit/verify`,
 * `audit export` and the node's checkpoints all come through here.
 */
import type { Config } from '../config.js';
import type { Kms } from '../domain/ports/kms.js';
import type { AuditLog } from '../domain/ports/audit-log.js';
import type { KeyVault } from '../domain/ports/key-vault.js';
import type { Clock } from '../domain/ports/runtime.js';
import { AUDIT_KEY_PURPOSE, type AuditCheckpoint } from '../domain/audit.js';
import { AuditCheckpointer } from '../domain/usecases/audit.js';
import { anchorAuditKeys, type AnchoredAuditKey, type AuditKeyAnchor, type AuditKeyAnchoring } from '../domain/usecases/audit-anchor.js';
import { verifyAuditChain, type AuditReport } from '../domain/usecases/audit-verify.js';
import { loadOrCreateServerKey, serverKeyContext } from '../domain/usecases/server-keys.js';
import { auditCheckpointVerifier, auditPublicKeyFromSecret, auditRecordHash, auditSigner, generateAuditKeyPair } from '../crypto/node/audit.js';
import { fingerprint } from '../crypto/node/keys.js';

/** What the audit wiring needs of a Core (core.ts). */
export interface AuditCore {
  readonly config: Pick<Config, 'audit'>;
  /** The chain and its checkpoints, and the audit key's versions in the vault. */
  readonly store: AuditLog & Pick<KeyVault, 'getServerKey' | 'putServerKeyIfAbsent' | 'listServerKeys'>;
  readonly kms: Kms;
  readonly clock: Clock;
}

/** How often a serving node asks whether a checkpoint is due (at most; see node.ts). */
export const CHECKPOINT_POLL_MS = 1000;

/**
 * The server's Ed25519 audit key (purpose 'audit-signing'), created on first use and stored
 * wrapped. Its public key is derived from the unwrapped secret, never read from the database.
 */
export async function loadAuditKey(core: AuditCore): Promise<{ publicKey: Uint8Array; version: number; secret: Uint8Array }> {
  const key = await loadOrCreateServerKey(AUDIT_KEY_PURPOSE, { store: core.store, kms: core.kms, clock: core.clock, generate: generateAuditKeyPair });
  const stored = await core.store.getServerKey(AUDIT_KEY_PURPOSE);
  return { secret: key.secret, publicKey: auditPublicKeyFromSecret(key.secret), version: stored?.version ?? 1 };
}

/** Signs checkpoints of the audit chain on the node's schedule (config `audit`). */
export async function auditCheckpointerOf(core: AuditCore): Promise<AuditCheckpointer> {
  const key = await loadAuditKey(core);
  return new AuditCheckpointer({
    store: core.store,
    clock: core.clock,
    sign: auditSigner(key.secret),
    keyVersion: key.version,
    policy: { everyRecords: core.config.audit.checkpointEveryRecords, everyMs: core.config.audit.checkpointEverySeconds * 1000 },
  });
}

/**
 * How long a record may stay unsigned: the node signs within `checkpointEverySeconds` of it
 * (polling every CHECKPOINT_POLL_MS), and `checkpointGraceSeconds` absorbs the clocks of the
 * nodes and the verifier and a busy node (docs/audit.md, "Coverage").
 */
export function coverageWindowMs(audit: Config['audit']): number {
  return (audit.checkpointEverySeconds + audit.checkpointGraceSeconds) * 1000;
}

/** An export given to `audit verify --from-export` (cli/audit.ts reads it). */
export interface AuditExport {
  readonly publicKey: Uint8Array;
  readonly keyVersion: number;
  readonly checkpoints: readonly AuditCheckpoint[];
}

export interface AuditLogReport extends AuditReport {
  /** Each audit key version and what anchored it (docs/audit.md, "What verify trusts"). */
  readonly keys: readonly { readonly version: number; readonly fingerprint: string; readonly anchoredBy: readonly AuditKeyAnchor[] }[];
}

/** Anchors every stored audit key version: the master key, config `audit.pinnedKeys`, an export. */
function anchorKeys(core: AuditCore, exported?: AuditExport): Promise<AuditKeyAnchoring> {
  const context = serverKeyContext(AUDIT_KEY_PURPOSE);
  const derive = async (wrapped: Uint8Array): Promise<Uint8Array> => {
    const secret = await core.kms.unwrap(wrapped, context);
    try {
      return auditPublicKeyFromSecret(secret);
    } finally {
      secret.fill(0);
    }
  };
  const pinned = core.config.audit.pinnedKeys;
  const exportedKey = exported ? { exported: { version: exported.keyVersion, publicKey: exported.publicKey } } : {};
  return anchorAuditKeys({ store: core.store, derive, fingerprint, pinned, ...exportedKey }, AUDIT_KEY_PURPOSE);
}

/**
 * Anchors every audit key version, then walks the chain with the checkpoint signatures checked
 * against those keys, by the version each names. A key that is not anchored, or that the
 * database replaced, fails before the walk.
 */
export async function verifyAuditLog(
  core: AuditCore,
  options: { exported?: AuditExport; onProgress?: (done: number, total: number) => void } = {},
): Promise<AuditLogReport> {
  const anchoring = await anchorKeys(core, options.exported);
  const keys = anchoring.keys.map(({ version, fingerprint: print, anchoredBy }) => ({ version, fingerprint: print, anchoredBy }));
  if (anchoring.problem) {
    return { ok: false, records: 0, checkpoints: 0, headSeq: (await core.store.auditHead()).seq, problem: anchoring.problem, keys };
  }
  const verifiers = new Map(anchoring.keys.map((key) => [key.version, auditCheckpointVerifier(key.publicKey)]));
  const report = await verifyAuditChain({
    store: core.store,
    hash: auditRecordHash,
    verifyCheckpoint: (checkpoint) => verifiers.get(checkpoint.keyVersion)?.(checkpoint) ?? false,
    coverage: { now: core.clock.now(), windowMs: coverageWindowMs(core.config.audit) },
    ...(options.exported ? { exported: options.exported.checkpoints } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { ...report, keys };
}

/** Every audit key version as verification anchors it (created on first use): `keys show` prints them, to pin. */
export async function auditKeysOf(core: AuditCore): Promise<readonly AnchoredAuditKey[]> {
  (await loadAuditKey(core)).secret.fill(0);
  return (await anchorKeys(core)).keys;
}
