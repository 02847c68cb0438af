/**
 * Verifies publisher signatures (Ed25519, RFC 8032) for the server's own check of signed
 * messages (docs/relay-blind.md). Implemented on node:crypto (crypto/node/ed25519.ts).
 */
export interface SignatureVerifier {
  /**
   * True only when `signature` (base64url of 64 bytes, as a signed wrapper carries it) is
   * `publicKey`'s (32 raw bytes) Ed25519 signature of `message`. Malformed input is false,
   * never a throw.
   */
  verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: string): boolean;
}
