import { adminEvent, type AdminAction, type AuditCheckpoint } from '../audit.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { Clock } from '../ports/runtime.js';

/**
 * Records a state-changing admin command in the audit log, after it succeeded. The CLI's
 * `apps create|update|jwt-key` go through Apps, which calls this; `keys rotate` and
 * `clients forget` call it with their own action. `details` must hold no secret.
 */
export async function recordAdminAction(
  deps: { readonly store: Pick<AuditLog, 'appendAudit'>; readonly clock: Clock },
  action: AdminAction,
  details: Readonly<Record<string, string | number | boolean | null>>,
): Promise<void> {
  await deps.store.appendAudit([adminEvent(action, details)], deps.clock.now());
}

export interface CheckpointPolicy {
  /** A checkpoint once this many records were appended since the last one. */
  readonly everyRecords: number;
  /** A checkpoint once this long passed since the last one, if anything was appended. */
  readonly everyMs: number;
}

export interface CheckpointDeps {
  readonly store: Pick<AuditLog, 'auditHead' | 'latestAuditCheckpoint' | 'addAuditCheckpoint'>;
  readonly clock: Clock;
  /** Ed25519 with the server key 'audit-signing' of `keyVersion`. */
  readonly sign: (checkpoint: Omit<AuditCheckpoint, 'signature'>) => Uint8Array;
  readonly keyVersion: number;
  readonly policy: CheckpointPolicy;
}

/**
 * Writes signed checkpoints of the chain head. The node calls `tick` on a timer (often: it
 * costs one read of the head) and `tick(true)` when it drains, so that a clean shutdown
 * leaves the whole chain covered.
 */
export class AuditCheckpointer {
  constructor(private readonly deps: CheckpointDeps) {}

  /** Writes a checkpoint if one is due (`force`: if any record is not yet covered); returns it. */
  async tick(force = false): Promise<AuditCheckpoint | undefined> {
    const { store, clock, policy } = this.deps;
    const head = await store.auditHead();
    if (head.seq === 0) return undefined;
    const last = await store.latestAuditCheckpoint();
    if (last !== undefined && last.seq >= head.seq) return undefined;
    const at = clock.now();
    const due = force || last === undefined || head.seq - last.seq >= policy.everyRecords || at - last.at >= policy.everyMs;
    if (!due) return undefined;
    const unsigned = { seq: head.seq, headHash: head.hash, at, keyVersion: this.deps.keyVersion };
    const checkpoint = { ...unsigned, signature: this.deps.sign(unsigned) };
    // Another process may have signed this head first: either checkpoint says the same.
    await store.addAuditCheckpoint(checkpoint);
    return checkpoint;
  }
}
