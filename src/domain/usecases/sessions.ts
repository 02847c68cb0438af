import { newClientId, randomBytes } from '../ids.js';
import type { MessageStore } from '../ports/message-store.js';
import type { Clock } from '../ports/runtime.js';
import type { Client } from '../types.js';
import type { CommitQueue } from './commit-queue.js';

/** The size of a client's key salt: the at-rest key it derives is as strong as the payload key. */
export const CLIENT_KEY_SALT_BYTES = 32;

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
   * what was ever assigned) and delivery resumes after it.
   */
  async open(appId: string, staticKey: Uint8Array, lastSeq: number): Promise<OpenedSession> {
    const known = await this.store.findClientByKey(appId, staticKey);
    if (!known) {
      const client = await this.commits.addClient({
        id: newClientId(),
        appId,
        staticKey,
        keySalt: randomBytes(CLIENT_KEY_SALT_BYTES),
        createdAt: this.clock.now(),
      });
      this.commits.markSeen(client.id);
      return { client, resumed: false, cursor: client.ackedSeq };
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
