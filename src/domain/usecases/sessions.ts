import { newClientId } from '../ids.js';
import type { MessageStore } from '../ports/message-store.js';
import type { Clock } from '../ports/runtime.js';
import type { Client } from '../types.js';
import type { CommitQueue } from './commit-queue.js';

export interface OpenedSession {
  readonly client: Client;
  /** True when the static key was known: the same client id, its pending messages kept. */
  readonly resumed: boolean;
  /** Highest seq the client holds; delivery starts after it. */
  readonly cursor: number;
}

/**
 * Clients are known by their static public key: only its holder completes the handshake,
 * so a client id alone lets nobody take a client over.
 */
export class Sessions {
  constructor(
    private readonly store: MessageStore,
    private readonly commits: CommitQueue,
    private readonly clock: Clock,
  ) {}

  /**
   * After a completed handshake: finds or creates the client for this key. `lastSeq` is what
   * the client says it already handed to its application; it acks up to that (bounded by
   * what was ever assigned) and delivery resumes after it. `hpkeKey` is the HPKE public key
   * of the hello (null: none): the latest hello's replaces whatever was stored, so a client
   * that changed its key gets messages sealed to the new one, and one that sent none gets
   * no sealed message a publisher would seal to a key it may no longer hold.
   */
  async open(appId: string, staticKey: Uint8Array, lastSeq: number, hpkeKey: Uint8Array | null = null): Promise<OpenedSession> {
    const found = await this.store.findClientByKey(appId, staticKey);
    if (!found) {
      const client = await this.commits.addClient({ id: newClientId(), appId, staticKey, createdAt: this.clock.now(), hpkeKey });
      this.commits.markSeen(client.id);
      return { client, resumed: false, cursor: client.ackedSeq };
    }
    let known = found;
    if (!sameKey(found.hpkeKey ?? null, hpkeKey)) {
      // Rare (a changed key): written at once rather than in the group commit's batch.
      await this.store.setClientHpkeKey(appId, found.id, hpkeKey);
      known = { ...found, hpkeKey };
    }
    const held = Math.min(lastSeq, known.lastSeq);
    if (held > known.ackedSeq) this.commits.markAcked(known.id, held);
    this.commits.markSeen(known.id);
    return { client: known, resumed: true, cursor: Math.max(held, known.ackedSeq) };
  }

  closed(clientId: string): void {
    this.commits.markSeen(clientId);
  }
}

function sameKey(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
