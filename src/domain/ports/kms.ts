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
