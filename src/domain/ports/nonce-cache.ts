/**
 * Remembers keys for a while so that a replay can be refused.
 *
 * Contract: `claim` returns true for the first claim of a key and false for every claim of
 * the same key until at least `ttlSeconds` after the first. Claims are atomic: of two
 * concurrent claims of one key, exactly one wins (across nodes for shared drivers).
 *
 * `owner` names whose key it is (the app): a driver with a bounded pool gives each owner a
 * bounded share of it, so one owner filling its share refuses only its own claims. A claim
 * that cannot be held is refused with a SealPushError (never answered true: that would let a
 * replay through): ERR_RATE_LIMITED when the owner's share is full, ERR_UNAVAILABLE when
 * the whole pool is.
 *
 * `issuedAtMs` is when the request or token says it was made (its signed timestamp, its
 * `iat`). A shared driver whose memory can be lost while nodes run (Redis restarted or
 * flushed) refuses with ERR_UNAVAILABLE a claim of a key issued before its memory began: that
 * key may have been claimed before, so a win would let a replay through. The caller signs
 * again (a new timestamp) and is served. A driver whose memory lives as long as its node
 * ignores it.
 */
export interface NonceCache {
  claim(key: string, ttlSeconds: number, owner?: string, issuedAtMs?: number): Promise<boolean>;
  close(): Promise<void>;
}
