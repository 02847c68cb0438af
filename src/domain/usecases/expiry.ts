import type { MessageStore } from '../ports/message-store.js';
import type { Clock, Logger } from '../ports/runtime.js';

export interface SweepDeps {
  readonly store: MessageStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a finished (acked or expired) message's status is kept after its creation. */
  readonly retentionMs: number;
}

/**
 * Marks messages past their TTL as expired, then deletes finished messages older than the
 * retention, a bounded number per query so that a large backlog never holds the store for
 * long. Reads already treat due messages as expired; the sweep makes the status durable.
 */
export async function sweepExpired(deps: SweepDeps, batchSize = 5000): Promise<{ expired: number; purged: number }> {
  const expired = await drain((limit) => deps.store.expireMessages(deps.clock.now(), limit), batchSize);
  const purged = await drain((limit) => deps.store.purgeMessages(deps.clock.now() - deps.retentionMs, limit), batchSize);
  if (expired > 0 || purged > 0) deps.logger.info({ expired, purged }, 'swept messages');
  return { expired, purged };
}

async function drain(step: (limit: number) => Promise<number>, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await step(batchSize);
    total += done;
    if (done < batchSize) return total;
  }
}
