import { LAST_SEQS_MAX, type MessageLog } from '../ports/message-log.js';
import type { Logger } from '../ports/runtime.js';
import { errorMessage } from '../errors.js';

/** A live client of this node, as the periodic catch-up sees it (its DeliveryStream). */
export interface CatchUpTarget {
  readonly clientId: string;
  /** The store has assigned seqs up to `lastSeq` to this client (DeliveryStream.recheck). */
  recheck(lastSeq: number): void;
}

/**
 * One pass of the periodic catch-up, for nodes whose bus may drop envelopes (Redis pub/sub
 * drops whatever is published while a node re-subscribes; a committing node that cannot
 * reach Redis routes nothing). A lost envelope is found by the next one for the same client
 * (a seq gap); only the last messages of a burst would otherwise wait for a resume.
 *
 * Cost: one `lastSeqs` query per LAST_SEQS_MAX live clients of the node (a unique-index
 * lookup each: 20 queries a pass at 10,000 connections), and a store read of messages only
 * for a client that is behind. Cheaper schemes were weighed: a node cannot know which
 * clients had messages committed elsewhere without asking someone, and asking Redis
 * instead would trust the very component that dropped the envelope; the store is the truth.
 */
export async function catchUpPass(store: Pick<MessageLog, 'lastSeqs'>, targets: readonly CatchUpTarget[], logger: Logger): Promise<void> {
  for (let start = 0; start < targets.length; start += LAST_SEQS_MAX) {
    const page = targets.slice(start, start + LAST_SEQS_MAX);
    let seqs;
    try {
      seqs = await store.lastSeqs(page.map((t) => t.clientId));
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'catch-up check failed; retrying next interval');
      return;
    }
    const byId = new Map(page.map((t) => [t.clientId, t]));
    for (const { clientId, lastSeq } of seqs) byId.get(clientId)?.recheck(lastSeq);
  }
}
