/**
 * Byte comparison, in the domain so that use cases and crypto share one (crypto/encoding.ts
 * re-exports it). Constant time in the contents (not in the lengths, which are public
 * everywhere it is used).
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
