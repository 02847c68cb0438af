import { SealPushError } from '../errors.js';
import { newClientId, randomBytes } from '../ids.js';
import type { MessageStore } from '../ports/message-store.js';
import { rateLimited, type RateLimit } from '../ports/rate-limit.js';
import type { Clock } from '../ports/runtime.js';
import type { Client } from '../types.js';
import type { CommitQueue } from './commit-queue.js';

/** The size of a client's key salt: the at-rest key it derives is as strong as the payload key. */
export const CLIENT_KEY_SALT_BYTES = 32;

/** The optional keys a client's hello carries (src/crypto/hello-payloads.ts). */
export interface HelloKeys {
  readonly ackKey?: Uint8Array | undefined;
  readonly hpkeKey?: Uint8Array | null | undefined;
}

export interface OpenedSession {
  readonly client: Client;
  /** True when the static key was known: the same client id, its pending messages kept. */
  readonly resumed: boolean;
  /** Highest seq the client holds; delivery starts after it. */
  readonly cursor: number;
  /**
   * The ack key this connection's ACKs must be signed with (the client's registered one, which
   * its hello presented), or null: plain ACKs, no receipts.
   */
  readonly ackKey: Uint8Array | null;
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
    /** New clients (a static key not seen before) per app; past it ERR_RATE_LIMITED, a transient close. */
    private readonly registrations?: RateLimit,
  ) {}

  /**
   * After a completed handshake: finds or creates the client for this key. `lastSeq` is what
   * the client says it already handed to its application; it acks up to that (bounded by
   * what was ever assigned) and delivery resumes after it.
   *
   * `keys.ackKey` is the hello's Ed25519 ack key (docs/receipts.md): registered once, never
   * replaced. `keys.hpkeKey` is its HPKE public key (null: none): the latest hello's replaces
   * whatever was stored, so a client that changed its key gets messages sealed to the new
   * one, and one that sent none gets no message sealed to a key it may no longer hold.
   *
   * `receipts` is the app's setting (Apps.receiptsOf). Off, the ack key is still registered and
   * checked (so switching receipts on later needs no new client), but the session gets plain
   * ACKs (`ackKey` null) and its hello's `lastSeq` acks as for a client without a key.
   */
  async open(appId: string, staticKey: Uint8Array, lastSeq: number, keys: HelloKeys = {}, receipts = false): Promise<OpenedSession> {
    const { ackKey } = keys;
    const hpkeKey = keys.hpkeKey ?? null;
    const found = await this.store.findClientByKey(appId, staticKey);
    if (!found) {
      const waitMs = (await this.registrations?.take(appId)) ?? 0;
      if (waitMs > 0) throw rateLimited(waitMs, 'This app registers more new clients per second than its limit allows');
      const client = await this.commits.addClient({
        id: newClientId(),
        appId,
        staticKey,
        keySalt: randomBytes(CLIENT_KEY_SALT_BYTES),
        createdAt: this.clock.now(),
        hpkeKey,
        ...(ackKey ? { ackKey } : {}),
      });
      // A concurrent first connect with the same static key may have won, with another ack key or none.
      const registered = ackKey ? sameAckKey(client.ackKey ?? (await this.store.registerAckKey(appId, client.id, ackKey)), ackKey) : null;
      this.commits.markSeen(client.id);
      return { client, resumed: false, cursor: client.ackedSeq, ackKey: receipts ? registered : null };
    }
    let known = found;
    let signing: Uint8Array | null = null;
    if (ackKey) {
      // First hello with a key registers it (an SDK that gained receipts); after that it never changes.
      const registered = sameAckKey(known.ackKey ?? (await this.store.registerAckKey(appId, known.id, ackKey)), ackKey);
      if (receipts) signing = registered;
    }
    if (!sameHpkeKey(found.hpkeKey ?? null, hpkeKey)) {
      // Rare (a changed key): written at once rather than in the group commit's batch.
      await this.store.setClientHpkeKey(appId, found.id, hpkeKey);
      known = { ...found, hpkeKey };
    }
    this.commits.markSeen(known.id);
    if (signing) {
      // Messages the client holds but never signed for are sent again (it drops them as
      // duplicates) so that its next signed ACK covers them: no hello acks them unsigned.
      return { client: known, resumed: true, cursor: known.ackedSeq, ackKey: signing };
    }
    const held = Math.min(lastSeq, known.lastSeq);
    if (held > known.ackedSeq) this.commits.markAcked(known.id, held);
    return { client: known, resumed: true, cursor: Math.max(held, known.ackedSeq), ackKey: null };
  }

  closed(clientId: string): void {
    this.commits.markSeen(clientId);
  }
}

/** `presented` when it is the registered key; a client cannot swap its ack key after the fact. */
function sameAckKey(registered: Uint8Array | undefined, presented: Uint8Array): Uint8Array {
  if (registered === undefined || !equalBytes(registered, presented)) {
    throw new SealPushError('ERR_ACK_KEY_MISMATCH', 'This client registered another ack key; a client cannot replace it');
  }
  return registered;
}

function sameHpkeKey(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return equalBytes(a, b);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
