/**
 * What a crash loop recorded, and the check of it against sealpush's promises: every message
 * that got a 202 reaches its client's callback exactly once, in the order it was accepted; no
 * status read ever moves backwards; and every acked message was reported by a `message.acked`
 * webhook at least once. Pure: the unit test feeds it histories with each kind of fault.
 */

/** The statuses of GET /v1/messages/:id in the order a message may take them. */
const STATUS_RANK: Readonly<Record<string, number>> = { queued: 0, delivered: 1, acked: 2, expired: 2 };
const FINAL = 2;

export interface History {
  /** Per client, the ids of the messages that got a 202, in the order they were accepted. */
  readonly accepted: ReadonlyMap<string, readonly string[]>;
  /** Per client, the ids its SDK handed to the application callback, in order. */
  readonly received: ReadonlyMap<string, readonly string[]>;
  /** Per message, the statuses read from the REST API, in the order they were read. */
  readonly statuses: ReadonlyMap<string, readonly string[]>;
  /** The ids of the messages a `message.acked` webhook reported (after the receiver's dedup). */
  readonly ackedWebhooks: ReadonlySet<string>;
  /** The ids whose last status read was `acked`. */
  readonly acked: ReadonlySet<string>;
}

export interface Verdict {
  readonly accepted: number;
  readonly received: number;
  /** Accepted, never received. */
  readonly lost: readonly string[];
  /** Received more than once. */
  readonly duplicated: readonly string[];
  /** Received, never accepted (a message nobody published, or another client's). */
  readonly unexpected: readonly string[];
  /** Clients whose messages arrived in another order than accepted. */
  readonly reordered: readonly string[];
  /** Messages whose status went back (e.g. acked, then delivered). */
  readonly backwards: readonly string[];
  /** Acked messages without a `message.acked` webhook. */
  readonly webhookMissing: readonly string[];
  readonly ok: boolean;
}

export function checkHistory(history: History): Verdict {
  const lost: string[] = [];
  const duplicated: string[] = [];
  const unexpected: string[] = [];
  const reordered: string[] = [];
  let accepted = 0;
  let received = 0;
  for (const clientId of new Set([...history.accepted.keys(), ...history.received.keys()])) {
    const sent = history.accepted.get(clientId) ?? [];
    const got = history.received.get(clientId) ?? [];
    accepted += sent.length;
    received += got.length;
    const expected = new Set(sent);
    const seen = new Set<string>();
    const firstArrivals: string[] = [];
    for (const id of got) {
      if (!expected.has(id)) unexpected.push(id);
      else if (seen.has(id)) duplicated.push(id);
      else firstArrivals.push(id);
      seen.add(id);
    }
    for (const id of sent) if (!seen.has(id)) lost.push(id);
    const order = sent.filter((id) => seen.has(id));
    if (order.some((id, i) => firstArrivals[i] !== id)) reordered.push(clientId);
  }
  const backwards: string[] = [];
  for (const [id, reads] of history.statuses) {
    // Unknown, lower than the read before, or one final status turned into the other.
    const moved = (status: string, i: number): boolean => {
      const rank = STATUS_RANK[status] ?? -1;
      if (rank < 0 || i === 0) return rank < 0;
      const before = reads[i - 1]!;
      return rank < STATUS_RANK[before]! || (rank === FINAL && STATUS_RANK[before] === FINAL && status !== before);
    };
    if (reads.some(moved)) backwards.push(id);
  }
  const webhookMissing = [...history.acked].filter((id) => !history.ackedWebhooks.has(id));
  const ok = [lost, duplicated, unexpected, reordered, backwards, webhookMissing].every((list) => list.length === 0);
  return { accepted, received, lost, duplicated, unexpected, reordered, backwards, webhookMissing, ok };
}
