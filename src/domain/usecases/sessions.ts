import { bytesEqual } from '../bytes.js';
import { SealPushError } from '../errors.js';
import { newClientId, randomBytes } from '../ids.js';
import type { ClientRegistry } from '../ports/client-registry.js';
import type { NonceCache } from '../ports/nonce-cache.js';
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
 * A hello read and checked, nothing written: what the server's handshake reply says. Only
 * `Sessions.confirm` (once the client proved it holds its keys) changes anything.
 */
export interface PreparedSession {
  readonly appId: string;
  readonly staticKey: Uint8Array;
  /** The stored client (resumed), or null: a new client, created at confirm with `clientId`. */
  readonly known: Client | null;
  /** The client id message 2 names: the stored one, or the one picked for the new client. */
  readonly clientId: string;
  readonly keys: { readonly ackKey: Uint8Array | undefined; readonly hpkeKey: Uint8Array | null };
  /** Whether this connection's ACKs will be signed (message 2's `signedAcks`). */
  readonly signedAcks: boolean;
  /** Set for a resumption: the ticket that `confirm` claims, so that it opens one session only. */
  readonly ticket?: ResumptionTicket;
}

/** What `Sessions` needs of an opened resumption ticket (crypto/node/ticket.ts). */
export interface ResumptionTicket {
  /** The ticket's random id, as text: the key it is claimed under. */
  readonly id: string;
  readonly appId: string;
  readonly clientId: string;
  readonly expiresAt: number;
}

/**
 * Clients are known by their static public key: only its holder completes the handshake,
 * so a client id alone lets nobody take a client over. A hello alone proves nothing (it can
 * be replayed), so opening a session is two steps: `prepare` reads, before the server's reply;
 * `confirm` writes, after the client's key confirmation (docs/protocol.md section 2.5).
 */
export class Sessions {
  constructor(
    private readonly store: Pick<ClientRegistry, 'findClientByKey' | 'getClient' | 'registerAckKey' | 'setClientHpkeKey'>,
    private readonly commits: CommitQueue,
    private readonly clock: Clock,
    /** New clients (a static key not seen before) per app; past it ERR_RATE_LIMITED, a transient close. */
    private readonly registrations?: RateLimit,
    /** Where resumption tickets are claimed, once each, until they expire (across nodes with Redis). */
    private readonly tickets?: Pick<NonceCache, 'claim'>,
  ) {}

  /**
   * Read-only: finds the client for this key (or picks the id of a new one) and checks the
   * hello's keys against it. Throws ERR_ACK_KEY_MISMATCH when `keys.ackKey` is not the key
   * this client registered. Writes nothing, so a replayed hello changes nothing.
   *
   * `receipts` is the app's setting (Apps.receiptsOf): on, a client that presents its ack key
   * signs its ACKs; off, the key is still registered and checked at confirm (so switching
   * receipts on later needs no new client), but ACKs stay plain.
   */
  async prepare(appId: string, staticKey: Uint8Array, keys: HelloKeys = {}, receipts = false): Promise<PreparedSession> {
    const { ackKey } = keys;
    const hpkeKey = keys.hpkeKey ?? null;
    const known = (await this.store.findClientByKey(appId, staticKey)) ?? null;
    if (known?.ackKey && ackKey) sameAckKey(known.ackKey, ackKey);
    return { appId, staticKey, known, clientId: known?.id ?? newClientId(), keys: { ackKey, hpkeKey }, signedAcks: receipts && ackKey !== undefined };
  }

  /**
   * Read-only, like `prepare`, for a resume hello whose ticket opened: the ticket's client, if
   * the ticket is for this app, unexpired, and its client still exists. Throws ERR_TICKET
   * otherwise (the server refuses inside the handshake, the SDK runs IK at once: a forgotten
   * client's key then makes a new client, as it would have without a ticket), and
   * ERR_ACK_KEY_MISMATCH as `prepare` does. The ticket is claimed at `confirm`, not here.
   */
  async prepareResumed(appId: string, ticket: ResumptionTicket, keys: HelloKeys = {}, receipts = false): Promise<PreparedSession> {
    if (ticket.appId !== appId) throw new SealPushError('ERR_TICKET', 'The ticket is for another app');
    if (ticket.expiresAt <= this.clock.now()) throw new SealPushError('ERR_TICKET', 'The ticket expired');
    if (!this.tickets) throw new SealPushError('ERR_TICKET', 'Resumption is off');
    const known = await this.store.getClient(appId, ticket.clientId);
    if (!known) throw new SealPushError('ERR_TICKET', 'The ticket\'s client is gone');
    const { ackKey } = keys;
    if (known.ackKey && ackKey) sameAckKey(known.ackKey, ackKey);
    const hpkeKey = keys.hpkeKey ?? null;
    return { appId, staticKey: known.staticKey, known, clientId: known.id, keys: { ackKey, hpkeKey }, signedAcks: receipts && ackKey !== undefined, ticket };
  }

  /**
   * After the client's key confirmation: creates the new client, or registers the resumed
   * one's ack key (once, never replaced) and its hello's HPKE key (the latest hello's replaces
   * whatever was stored: absent clears it), and acks up to `lastSeq` (bounded by what was ever
   * assigned); delivery resumes after the cursor it returns.
   *
   * Throws ERR_UNAVAILABLE when a concurrent confirmed handshake with the same static key
   * created the client first, under another id than the one message 2 named: the client
   * reconnects and resumes that id. Throws ERR_ACK_KEY_MISMATCH when a concurrent one
   * registered another ack key first. Throws ERR_TICKET when the resumption ticket was claimed
   * before (a replayed resume hello whose sender also holds the psk, or a second use): the
   * claim comes first, so such a session changes nothing either.
   */
  async confirm(prepared: PreparedSession, lastSeq: number): Promise<OpenedSession> {
    const { appId, staticKey, known, keys, signedAcks, ticket } = prepared;
    if (ticket) await this.claimTicket(ticket);
    const { ackKey, hpkeKey } = keys;
    if (!known) {
      // Counted at confirmation, never at a hello: a replayed hello spends no app's budget.
      const waitMs = (await this.registrations?.take(appId)) ?? 0;
      if (waitMs > 0) throw rateLimited(waitMs, 'This app registers more new clients per second than its limit allows');
      const client = await this.commits.addClient({
        id: prepared.clientId,
        appId,
        staticKey,
        keySalt: randomBytes(CLIENT_KEY_SALT_BYTES),
        createdAt: this.clock.now(),
        hpkeKey,
        ...(ackKey ? { ackKey } : {}),
      });
      // Deleted while this handshake ran (its nodes had not yet seen the delete): refused as at the hello.
      if (client === null) throw new SealPushError('ERR_NOT_FOUND', 'No such app');
      if (client.id !== prepared.clientId) throw new SealPushError('ERR_UNAVAILABLE', 'Another connection created this client first; reconnect');
      this.commits.markSeen(client.id);
      return { client, resumed: false, cursor: client.ackedSeq, ackKey: signedAcks ? ackKey! : null };
    }
    let client = known;
    // First hello with a key registers it (an SDK that gained receipts); after that it never changes.
    const registered = ackKey ? sameAckKey(known.ackKey ?? (await this.store.registerAckKey(appId, known.id, ackKey)), ackKey) : null;
    if (!sameHpkeKey(known.hpkeKey ?? null, hpkeKey)) {
      // Rare (a changed key): written at once rather than in the group commit's batch.
      await this.store.setClientHpkeKey(appId, known.id, hpkeKey);
      client = { ...known, hpkeKey };
    }
    this.commits.markSeen(client.id);
    if (signedAcks) {
      // Messages the client holds but never signed for are sent again (it drops them as
      // duplicates) so that its next signed ACK covers them: no hello acks them unsigned.
      return { client, resumed: true, cursor: client.ackedSeq, ackKey: registered };
    }
    const held = Math.min(lastSeq, client.lastSeq);
    if (held > client.ackedSeq) this.commits.markAcked(client.id, held);
    return { client, resumed: true, cursor: Math.max(held, client.ackedSeq), ackKey: null };
  }

  /**
   * Claimed under an owner of its own per app (`tickets:<appId>`): a bounded nonce pool then
   * refuses an app's resumptions (ERR_RATE_LIMITED: the client reconnects with IK) before its
   * REST request nonces, which keep their share.
   */
  private async claimTicket(ticket: ResumptionTicket): Promise<void> {
    const ttlSeconds = Math.max(1, Math.ceil((ticket.expiresAt - this.clock.now()) / 1000));
    if (!this.tickets || !(await this.tickets.claim(`ticket:${ticket.id}`, ttlSeconds, `tickets:${ticket.appId}`))) {
      throw new SealPushError('ERR_TICKET', 'This ticket was used already');
    }
  }

  closed(clientId: string): void {
    this.commits.markSeen(clientId);
  }
}

/** `presented` when it is the registered key; a client cannot swap its ack key after the fact. */
function sameAckKey(registered: Uint8Array | undefined, presented: Uint8Array): Uint8Array {
  if (registered === undefined || !bytesEqual(registered, presented)) {
    throw new SealPushError('ERR_ACK_KEY_MISMATCH', 'This client registered another ack key; a client cannot replace it');
  }
  return registered;
}

function sameHpkeKey(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return bytesEqual(a, b);
}
