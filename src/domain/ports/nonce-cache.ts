/**
 * Remembers keys for a while so that a replay can be refused.
 *
 * Contract: `claim` returns true for the first claim of a key and false for every claim of
 * the same key until at least `ttlSeconds` after the first. Claims are atomic: of two
 * concurrent claims of one key, exactly one wins (across nodes for shared drivers).
 */
export interface NonceCache {
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  close(): Promise<void>;
}
