import type { ClientRegistry } from '../ports/client-registry.js';
import type { ClientPayloadCipher, PayloadKeyring } from '../ports/payload-cipher.js';
import type { Client } from '../types.js';

/** Most client ciphers kept in memory. Default 50,000 (a derived key and two closures each). */
export const DEFAULT_CLIENT_CIPHER_CACHE = 50_000;

interface Entry {
  readonly appId: string;
  readonly cipher: ClientPayloadCipher;
}

/**
 * The at-rest ciphers of clients, in a bounded LRU: the publish path seals for a warm
 * client without a store read, and a miss costs one client read and a key derivation.
 * A forgotten client is evicted (`evict`), on this node at once and on others when they
 * see its tombstone.
 */
export class ClientCiphers {
  /** Map order is recency: a hit moves its entry to the end, the first entry is the oldest. */
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every eviction: a load that raced with one must not cache what it read. */
  private evictions = 0;

  constructor(
    private readonly store: Pick<ClientRegistry, 'getClient'>,
    private readonly keyring: PayloadKeyring,
    private readonly capacity = DEFAULT_CLIENT_CIPHER_CACHE,
  ) {}

  /** The cipher of a client of `appId` if cached; undefined on a miss (or another app's client). */
  cached(appId: string, clientId: string): ClientPayloadCipher | undefined {
    const entry = this.entries.get(clientId);
    if (entry === undefined || entry.appId !== appId) return undefined;
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
    this.entries.set(client.id, { appId: client.appId, cipher });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return cipher;
  }

  evict(clientId: string): void {
    this.evictions++;
    this.entries.delete(clientId);
  }

  get size(): number {
    return this.entries.size;
  }
}
