/**
 * The part of sodium-native (libsodium bindings; the package ships no types) that sealpush
 * calls: the IETF ChaCha20-Poly1305 AEAD of the transport (docs/protocol.md, "Frames") and
 * its XChaCha20-Poly1305 variant (24-byte nonces) of payloads at rest (docs/forget.md).
 * The AEAD functions write into the caller's buffers and return the bytes written; decrypt
 * throws when the tag does not verify. `nsec` is always null.
 */
declare module 'sodium-native' {
  /** Seals m into c (m.length + 16 bytes). */
  type AeadEncrypt = (c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array) => number;
  /** Opens c into m (c.length - 16 bytes). */
  type AeadDecrypt = (m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array) => number;
  interface Sodium {
    readonly crypto_aead_chacha20poly1305_ietf_ABYTES: number;
    crypto_aead_chacha20poly1305_ietf_encrypt: AeadEncrypt;
    crypto_aead_chacha20poly1305_ietf_decrypt: AeadDecrypt;
    crypto_aead_xchacha20poly1305_ietf_encrypt: AeadEncrypt;
    crypto_aead_xchacha20poly1305_ietf_decrypt: AeadDecrypt;
  }
  const sodium: Sodium;
  export default sodium;
}
