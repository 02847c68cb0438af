import type { ClientRegistry } from '../ports/client-registry.js';
import type { ClientPayloadCipher, PayloadKeyring } from '../ports/payload-cipher.js';
import type { Clock } from '../ports/runtime.js';
import type { Client } from '../types.js';

/** Most client ciphers kept in memory. Default 50,000 (a derived key and two closures each, about 4 KB). */
export const DEFAULT_CLIENT_CIPHER_CACHE = 50_000;
/** A cipher not used for this long is dropped. Default 10 minutes. */
export const DEFAULT_CLIENT_CIPHER_IDLE_MS = 10 * 60_000;

export interface ClientCiphersOptions {
  /** Most ciphers kept. Default DEFAULT_CLIENT_CIPHER_CACHE. */
  readonly capacity?: number;
  /** Dropped once unused this long, ms. Default DEFAULT_CLIENT_CIPHER_IDLE_MS. */
  readonly idleMs?: number;
  /** Measures idleness; never stepped. Default performance.now. */
  readonly elapsed?: Clock;
}

interface Entry {
  readonly appId: string;
  readonly cipher: ClientPayloadCipher;
  usedAt: number;
}

const monotonicClock: Clock = { now: () => performance.now() };

/**
 * The at-rest ciphers of clients, in a bounded LRU: the publish path seals for a warm
 * client without a store read, and a miss costs one client read and a key derivation.
 * An entry unused for `idleMs` is dropped as the next one is added, so that the cache holds
 * the clients of the last minutes, not every client seen since the start: under a steady churn
 * of clients its memory levels off within `idleMs` rather than growing to `capacity`.
 * A forgotten client is evicted (`evict`), on this node at once and on others when they
 * see its tombstone.
 */
export class ClientCiphers {
  /** Map order is recency: a hit moves its entry to the end, the first entry is the oldest. */
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every eviction: a load that raced with one must not cache what it read. */
  private evictions = 0;
  private readonly capacity: number;
  private readonly idleMs: number;
  private readonly elapsed: Clock;

  constructor(
    private readonly store: Pick<ClientRegistry, 'getClient'>,
    private readonly keyring: PayloadKeyring,
    options: ClientCiphersOptions = {},
  ) {
    this.capacity = options.capacity ?? DEFAULT_CLIENT_CIPHER_CACHE;
    this.idleMs = options.idleMs ?? DEFAULT_CLIENT_CIPHER_IDLE_MS;
    this.elapsed = options.elapsed ?? monotonicClock;
  }

  /** The cipher of a client of `appId` if cached; undefined on a miss (or another app's client). */
  cached(appId: string, clientId: string): ClientPayloadCipher | undefined {
    const entry = this.entries.get(clientId);
    if (entry === undefined || entry.appId !== appId) return undefined;
    entry.usedAt = this.elapsed.now();
    this.entries.delete(clientId);
    this.entries.set(clientId, entry);
    return entry.cipher;
  }

  /** Reads the client and caches its cipher; undefined when `appId` has no such client. */
  async load(appId: string, clientId: string): Promise<ClientPayloadCipher | undefined> {
    const generation = this.evictions;
    const client = await this.store.getClient(appId, clientId);
    if (client === undefined) return undefined;
    if (generation !== this.evictions) return this.keyring.forClient(client);
    return this.forClient(client);
  }

  /** The cipher of a client row already read (a connection's, at its handshake). */
  forClient(client: Client): ClientPayloadCipher {
    const hit = this.cached(client.appId, client.id);
    if (hit) return hit;
    const cipher = this.keyring.forClient(client);
    const now = this.elapsed.now();
    this.entries.set(client.id, { appId: client.appId, cipher, usedAt: now });
    this.dropOldest(now);
    return cipher;
  }

  /** From the least recently used on: entries idle past `idleMs`, and any over `capacity`. */
  private dropOldest(now: number): void {
    for (const [clientId, entry] of this.entries) {
      if (this.entries.size <= this.capacity && now - entry.usedAt < this.idleMs) return;
      this.entries.delete(clientId);
    }
  }

  evict(clientId: string): void {
    this.evictions++;
    this.entries.delete(clientId);
  }

  get size(): number {
    return this.entries.size;
  }
}
