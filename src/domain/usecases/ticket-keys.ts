/**
 * The rotating keys that seal resumption tickets (docs/protocol.md section 2.6), shared by every
 * node of a deployment through the key vault. Time is cut into epochs of one ticket lifetime;
 * each epoch has its own random 256-bit key, stored wrapped by the KMS as version `epoch` of
 * purpose 'ticket' and created on demand by the first node that issues a ticket in that epoch
 * (insert-if-absent: two nodes at once end up with the same key). A ticket names its epoch; the
 * current and previous epochs are accepted (and the next one, for a node whose clock runs a
 * little ahead), so a ticket lives at most one lifetime. Creating an epoch's key erases every
 * key outside that window from the store, and this node forgets them: a ticket of an older
 * epoch can no longer be opened by anyone (forward secrecy for tickets, whatever leaks later).
 */
import { randomBytes } from '../ids.js';
import type { Kms } from '../ports/kms.js';
import type { KeyVault } from '../ports/key-vault.js';
import type { Clock } from '../ports/runtime.js';
import { serverKeyContext } from './server-keys.js';

export const TICKET_KEY_PURPOSE = 'ticket';
export const TICKET_KEY_BYTES = 32;
/** How long a node trusts "this epoch has no key" before asking the store again. */
const MISSING_KEY_CACHE_MS = 1000;

export interface TicketKeyDeps {
  readonly store: Pick<KeyVault, 'putServerKeyEpoch' | 'listServerKeys'>;
  readonly kms: Kms;
  readonly clock: Clock;
}

/** The key a new ticket is sealed under: its epoch's. */
export interface CurrentTicketKey {
  readonly epoch: number;
  readonly key: Uint8Array;
}

/** What sealing and opening tickets needs (crypto/node/ticket.ts). */
export interface TicketKeyring {
  /** The lifetime of a ticket, and the length of an epoch (ms). */
  readonly lifetimeMs: number;
  current(): Promise<CurrentTicketKey>;
  /** The key of `epoch` if it is in the accepted window and was ever created, else null. */
  forEpoch(epoch: number): Promise<Uint8Array | null>;
}

export class TicketKeys implements TicketKeyring {
  private readonly keys = new Map<number, Promise<Uint8Array | null>>();
  private readonly missingSince = new Map<number, number>();

  constructor(
    private readonly deps: TicketKeyDeps,
    readonly lifetimeMs: number,
  ) {
    if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 1000) throw new RangeError('a ticket lifetime is at least 1 s');
  }

  epochAt(ms: number): number {
    return Math.floor(ms / this.lifetimeMs);
  }

  async current(): Promise<CurrentTicketKey> {
    const epoch = this.epochAt(this.deps.clock.now());
    this.forgetOutside(epoch);
    let key = this.keys.get(epoch);
    if (key === undefined || (await key) === null) {
      key = this.create(epoch);
      this.keys.set(epoch, key);
      key.catch(() => this.keys.delete(epoch));
    }
    return { epoch, key: (await key)! };
  }

  async forEpoch(epoch: number): Promise<Uint8Array | null> {
    const now = this.deps.clock.now();
    const current = this.epochAt(now);
    if (!Number.isSafeInteger(epoch) || epoch < current - 1 || epoch > current + 1) return null;
    this.forgetOutside(current);
    const missingAt = this.missingSince.get(epoch);
    if (missingAt !== undefined && now - missingAt < MISSING_KEY_CACHE_MS) return null;
    let key = this.keys.get(epoch);
    if (key === undefined || missingAt !== undefined) {
      key = this.load(epoch);
      this.keys.set(epoch, key);
      key.catch(() => this.keys.delete(epoch));
    }
    const loaded = await key;
    if (loaded === null) this.missingSince.set(epoch, now);
    else this.missingSince.delete(epoch);
    return loaded;
  }

  /** Inserts a fresh key for `epoch` unless a node stored one first, erasing keys outside the window. */
  private async create(epoch: number): Promise<Uint8Array> {
    const fresh = randomBytes(TICKET_KEY_BYTES);
    const stored = await this.deps.store.putServerKeyEpoch(
      {
        purpose: TICKET_KEY_PURPOSE,
        version: epoch,
        publicKey: new Uint8Array(0),
        wrappedSecret: await this.deps.kms.wrap(fresh, serverKeyContext(TICKET_KEY_PURPOSE)),
        createdAt: this.deps.clock.now(),
      },
      { from: epoch - 1, to: epoch + 1 },
    );
    fresh.fill(0);
    return this.deps.kms.unwrap(stored.wrappedSecret, serverKeyContext(TICKET_KEY_PURPOSE));
  }

  private async load(epoch: number): Promise<Uint8Array | null> {
    const stored = (await this.deps.store.listServerKeys(TICKET_KEY_PURPOSE)).find((k) => k.version === epoch);
    return stored === undefined ? null : this.deps.kms.unwrap(stored.wrappedSecret, serverKeyContext(TICKET_KEY_PURPOSE));
  }

  /** Drops (and zeroes) the keys this node holds for epochs no longer accepted. */
  private forgetOutside(current: number): void {
    for (const [epoch, key] of this.keys) {
      if (epoch >= current - 1 && epoch <= current + 1) continue;
      this.keys.delete(epoch);
      this.missingSince.delete(epoch);
      key.then((k) => k?.fill(0)).catch(() => undefined);
    }
  }
}
