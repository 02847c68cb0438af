/**
 * The server identity (its Noise static key) across `sealpush keys rotate-identity`
 * (docs/keys.md). Each rotation stores a new version of purpose 'noise-static'; the version
 * it replaces stays accepted until its `notAfter` (the overlap), so clients pinned to it can
 * still connect and be told the new key inside the handshake that the old key authenticates.
 */
import { SealPushError } from '../errors.js';
import type { Kms } from '../ports/kms.js';
import type { KeyVault } from '../ports/key-vault.js';
import type { Clock } from '../ports/runtime.js';
import { loadOrCreateServerKey, serverKeyContext, type KeyMaterial } from './server-keys.js';

export const IDENTITY_PURPOSE = 'noise-static';
/** How long a running server may use the identity versions it read before reading them again. */
export const IDENTITY_CACHE_MS = 1000;
/** Longest overlap `rotate-identity` accepts. */
export const MAX_OVERLAP_MS = 365 * 24 * 3_600_000;

/** One accepted version of the identity, its private half loaded as `K`. */
export interface IdentityVersion<K> {
  readonly version: number;
  readonly publicKey: Uint8Array;
  readonly key: K;
  /** Absent for the current version; for an older one, when it stops being accepted. */
  readonly notAfter?: number;
}

export interface IdentityRing<K> {
  readonly current: IdentityVersion<K>;
  /** Older versions still in their overlap, newest first. */
  readonly previous: readonly IdentityVersion<K>[];
}

export interface IdentityDeps {
  /** The server-key half of the vault: what loading, listing and rotating an identity read and write. */
  readonly store: Pick<KeyVault, 'getServerKey' | 'putServerKeyIfAbsent' | 'listServerKeys' | 'addServerKeyVersion'>;
  readonly kms: Kms;
  readonly clock: Clock;
}

/**
 * The identity versions a running server accepts, read from the store at most once per
 * IDENTITY_CACHE_MS (so a rotation from another process reaches it within about a second),
 * each private key loaded once. A version past its notAfter is never returned.
 */
export class ServerIdentities<K> {
  private cached: { ring: Promise<IdentityRing<K>>; at: number } | null = null;
  private readonly loaded = new Map<number, IdentityVersion<K>>();

  constructor(
    private readonly deps: IdentityDeps,
    private readonly load: (secret: Uint8Array) => K,
  ) {}

  /** The versions accepted now. If the store cannot be read, the last versions read are used. */
  ring(): Promise<IdentityRing<K>> {
    const now = this.deps.clock.now();
    if (!this.cached || now - this.cached.at >= IDENTITY_CACHE_MS) {
      const lastGood = this.cached?.ring;
      const entry = { at: now } as { ring: Promise<IdentityRing<K>>; at: number };
      entry.ring = this.read().catch((err: unknown) => {
        if (lastGood) return lastGood;
        if (this.cached === entry) this.cached = null;
        throw err;
      });
      this.cached = entry;
    }
    return this.cached.ring.then((ring) => live(ring, now));
  }

  private async read(): Promise<IdentityRing<K>> {
    const stored = await this.deps.store.listServerKeys(IDENTITY_PURPOSE);
    const versions: IdentityVersion<K>[] = [];
    for (const key of stored) {
      let loaded = this.loaded.get(key.version);
      if (!loaded) {
        const secret = await this.deps.kms.unwrap(key.wrappedSecret, serverKeyContext(IDENTITY_PURPOSE));
        loaded = { version: key.version, publicKey: key.publicKey, key: this.load(secret) };
        secret.fill(0);
        this.loaded.set(key.version, loaded);
      }
      versions.push(key.notAfter === undefined ? loaded : { ...loaded, notAfter: key.notAfter });
    }
    const [current, ...previous] = versions;
    if (!current) throw new SealPushError('ERR_INTERNAL', 'the server has no identity key');
    return { current, previous };
  }
}

function live<K>(ring: IdentityRing<K>, now: number): IdentityRing<K> {
  return { current: ring.current, previous: ring.previous.filter((v) => v.notAfter !== undefined && v.notAfter > now) };
}

export interface RotatedIdentity {
  readonly version: number;
  readonly publicKey: Uint8Array;
  readonly previous: { readonly version: number; readonly notAfter: number };
}

/**
 * Makes a fresh key the current identity; the one it replaces stays accepted for `overlapMs`
 * (0: refused at once). Versions whose overlap is over are deleted, secret and all. Throws
 * ERR_BAD_REQUEST for an overlap out of range, or when another rotation ran at the same
 * moment (nothing changed: run it again).
 */
export async function rotateServerIdentity(
  deps: IdentityDeps & { generate: () => KeyMaterial },
  overlapMs: number,
): Promise<RotatedIdentity> {
  if (!Number.isSafeInteger(overlapMs) || overlapMs < 0 || overlapMs > MAX_OVERLAP_MS) {
    throw new SealPushError('ERR_BAD_REQUEST', 'the overlap must be from 0 to 365 days');
  }
  (await loadOrCreateServerKey(IDENTITY_PURPOSE, deps)).secret.fill(0);
  const current = await deps.store.getServerKey(IDENTITY_PURPOSE);
  if (!current) throw new SealPushError('ERR_INTERNAL', 'the server has no identity key');
  const fresh = deps.generate();
  const now = deps.clock.now();
  const next = {
    purpose: IDENTITY_PURPOSE,
    version: current.version + 1,
    publicKey: fresh.publicKey,
    wrappedSecret: await deps.kms.wrap(fresh.secret, serverKeyContext(IDENTITY_PURPOSE)),
    createdAt: now,
  };
  fresh.secret.fill(0);
  if (!(await deps.store.addServerKeyVersion(next, now + overlapMs))) {
    throw new SealPushError('ERR_BAD_REQUEST', 'another identity rotation ran at the same time; nothing changed here: run it again');
  }
  return { version: next.version, publicKey: next.publicKey, previous: { version: current.version, notAfter: now + overlapMs } };
}
