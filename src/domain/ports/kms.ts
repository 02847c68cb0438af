/**
 * Envelope encryption of secrets at rest.
 *
 * Contract: `unwrap(wrap(x, ctx), ctx)` returns x; with any other context, or any altered
 * byte of the blob, `unwrap` rejects. A blob names the key version that wrapped it, so blobs
 * stay readable after a rotation until they are re-wrapped.
 */
export interface Kms {
  wrap(plaintext: Uint8Array, context: string): Promise<Uint8Array>;
  unwrap(blob: Uint8Array, context: string): Promise<Uint8Array>;
}

/** Where a master-key rotation stands: `current` wraps; `retiring` still unwraps, until retired. */
export interface RotationState {
  readonly current: number;
  readonly retiring: readonly number[];
  /** True when a rotation was already under way (an interrupted run): no version was added. */
  readonly resumed: boolean;
}

/**
 * The master-key versions behind a Kms, for `sealpush keys rotate` (docs/keys.md).
 *
 * Contract: `beginRotation` adds a version and marks every other one retiring, durably,
 * before it resolves; or, if a rotation is already under way, changes nothing and returns
 * it. From then on `wrap` uses the new version, here and (after reading the key store) in
 * every process sharing it. `retire` durably removes the retiring versions; this instance
 * still unwraps them, so that blobs met after the last check can still be re-wrapped.
 * Rotations of one key store exclude each other: a second one rejects while one runs.
 */
export interface MasterKeyRing {
  /** The version `blob` names; throws if it is not a wrapped blob. */
  versionOf(blob: Uint8Array): number;
  beginRotation(): Promise<RotationState>;
  retire(): Promise<readonly number[]>;
  /** Ends the rotation's exclusion (call in a finally). */
  release(): Promise<void>;
}
