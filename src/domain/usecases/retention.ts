import type { ClientRegistry } from '../ports/client-registry.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { Clock, Logger } from '../ports/runtime.js';
import { recordAdminAction } from './audit.js';

/** Config `clientRetentionDays`: a client that has not connected for this long is forgotten. */
export const DEFAULT_CLIENT_RETENTION_DAYS = 90;
/** Clients forgotten per pass at most: a large backlog goes over several sweeps. */
export const RETENTION_BATCH = 200;
/** How often the stale clients are looked for (each look walks the clients table; shared/stale-clients.ts). */
export const RETENTION_CHECK_MS = 3_600_000;

export interface RetentionDeps {
  readonly store: Pick<ClientRegistry, 'staleClients' | 'forgetClient'> & Pick<AuditLog, 'appendAudit'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long since its last connection a client is kept: clientRetentionDays. */
  readonly retentionMs: number;
}

/**
 * Client retention (docs/forget.md, "Retention"): a client whose last connection is older
 * than the retention, and that holds no message at all, is forgotten as `clients forget`
 * forgets it (key salt, messages, tombstone; every node drops it at its next tombstone poll).
 *
 * A client with messages is kept: its pending ones first expire at their TTL (the status API
 * says `expired`), then the sweep purges them after `retentionSeconds`, and only then is the
 * client stale. So nothing accepted disappears without its status saying so first. The check
 * is repeated inside the forget's transaction: a client that connects, or is published to,
 * between the listing and the forget is kept.
 *
 * Run by the node's sweeper; looks at most once per RETENTION_CHECK_MS, unless the last pass
 * was full (more may be waiting). Each pass that forgot any writes one audit record with
 * the count (`clients.prune`), not one per client.
 */
export class ClientRetention {
  private nextCheckAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: RetentionDeps) {}

  /** One bounded pass, if one is due; returns how many clients it forgot. */
  async pass(): Promise<number> {
    const { store, clock, logger, retentionMs } = this.deps;
    const now = clock.now();
    if (now < this.nextCheckAt) return 0;
    const staleBefore = now - retentionMs;
    const candidates = await store.staleClients(staleBefore, RETENTION_BATCH);
    let forgotten = 0;
    for (const clientId of candidates) {
      if (await store.forgetClient(clientId, undefined, now, staleBefore)) forgotten += 1;
    }
    this.nextCheckAt = candidates.length >= RETENTION_BATCH ? now : now + RETENTION_CHECK_MS;
    if (forgotten > 0) {
      await recordAdminAction({ store, clock }, 'clients.prune', { clients: forgotten, notSeenSince: new Date(staleBefore).toISOString() });
      logger.info({ forgotten }, 'forgot clients not seen within the retention');
    }
    return forgotten;
  }
}
