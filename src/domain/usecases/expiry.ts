import type { MessageLog } from '../ports/message-log.js';
import type { Clock, Logger } from '../ports/runtime.js';
import type { ClientRetention } from './retention.js';

export interface SweepDeps {
  readonly store: Pick<MessageLog, 'expireMessages' | 'purgeMessages'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a finished (acked or expired) message's status is kept after its creation. */
  readonly retentionMs: number;
  /** Clients not seen within their retention, forgotten after the messages are swept. Absent: none. */
  readonly clients?: Pick<ClientRetention, 'pass'>;
}

/**
 * Marks messages past their TTL as expired, then deletes finished messages older than the
 * retention, a bounded number per query so that a large backlog never holds the store for
 * long, then forgets stale clients (one bounded pass, retention.ts). Reads already treat due
 * messages as expired; the sweep makes the status durable.
 */
export async function sweepExpired(deps: SweepDeps, batchSize = 5000): Promise<{ expired: number; purged: number; pruned: number }> {
  const expired = await drain((limit) => deps.store.expireMessages(deps.clock.now(), limit), batchSize);
  const purged = await drain((limit) => deps.store.purgeMessages(deps.clock.now() - deps.retentionMs, limit), batchSize);
  if (expired > 0 || purged > 0) deps.logger.info({ expired, purged }, 'swept messages');
  const pruned = (await deps.clients?.pass()) ?? 0;
  return { expired, purged, pruned };
}

async function drain(step: (limit: number) => Promise<number>, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await step(batchSize);
    total += done;
    if (done < batchSize) return total;
  }
}
