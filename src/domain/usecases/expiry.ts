import type { MessageStore } from '../ports/message-store.js';
import type { Clock, Logger } from '../ports/runtime.js';

/**
 * Marks messages past their TTL as expired, a bounded number per query so that a large
 * backlog never holds the store for long. Reads already treat due messages as expired;
 * the sweep makes the status durable.
 */
export async function sweepExpired(
  deps: { store: MessageStore; clock: Clock; logger: Logger },
  batchSize = 5000,
): Promise<number> {
  let total = 0;
  for (;;) {
    const marked = await deps.store.expireMessages(deps.clock.now(), batchSize);
    total += marked;
    if (marked < batchSize) break;
  }
  if (total > 0) deps.logger.info({ expired: total }, 'messages expired');
  return total;
}
