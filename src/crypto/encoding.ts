/**
 * Byte encodings shared by the server and the browser SDK. Browser-safe: no `node:*`, no
 * `Buffer`. Decoders reject malformed input by throwing a TypeError; callers at a protocol
 * boundary turn that into the catalogue code that fits (ERR_HANDSHAKE, ERR_PROTOCOL, ...).
 */

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_INDEX: Int16Array = (() => {
  const index = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64URL.length; i++) index[B64URL.charCodeAt(i)] = i;
  return index;
})();

/** base64url without padding (RFC 4648 section 5); the domain's ids use the same encoder. */
export { toBase64Url as base64urlEncode } from '../domain/ids.js';

/**
 * Strict base64url decode: only the URL-safe alphabet, no padding, no whitespace, and the
 * unused low bits of the last character must be zero (so every string has one decoding).
 */
export function base64urlDecode(text: string): Uint8Array<ArrayBuffer> {
  if (text.length % 4 === 1) throw new TypeError('invalid base64url length');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64URL_INDEX[c]! : -1;
    if (v < 0) throw new TypeError('invalid base64url character');
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new TypeError('non-canonical base64url');
  return out;
}

export function hexEncode(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/** Accepts upper or lower case; rejects odd lengths and non-hex characters. */
export function hexDecode(text: string): Uint8Array<ArrayBuffer> {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new TypeError('invalid hex');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text: string): Uint8Array<ArrayBuffer> {
  return textEncoder.encode(text);
}

/** Throws a TypeError on invalid UTF-8 (no silent U+FFFD replacement). */
export function utf8Decode(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export { bytesEqual } from '../domain/bytes.js';

const TWO_32 = 0x1_0000_0000;

/** Writes `value` (an integer in 0..2^53-1) as 8 bytes big-endian at `offset`. */
export function writeU64(target: Uint8Array, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('u64 value out of range');
  const high = Math.floor(value / TWO_32);
  const low = value >>> 0;
  target[offset] = high >>> 24;
  target[offset + 1] = (high >>> 16) & 0xff;
  target[offset + 2] = (high >>> 8) & 0xff;
  target[offset + 3] = high & 0xff;
  target[offset + 4] = low >>> 24;
  target[offset + 5] = (low >>> 16) & 0xff;
  target[offset + 6] = (low >>> 8) & 0xff;
  target[offset + 7] = low & 0xff;
}

/** Reads 8 bytes big-endian; throws a RangeError above 2^53-1 or past the end. */
export function readU64(source: Uint8Array, offset: number): number {
  if (offset < 0 || offset + 8 > source.length) throw new RangeError('u64 read past the end');
  const high =
    ((source[offset]! << 24) | (source[offset + 1]! << 16) | (source[offset + 2]! << 8) | source[offset + 3]!) >>> 0;
  const low =
    ((source[offset + 4]! << 24) | (source[offset + 5]! << 16) | (source[offset + 6]! << 8) | source[offset + 7]!) >>>
    0;
  if (high > 0x1f_ffff) throw new RangeError('u64 value above 2^53-1');
  return high * TWO_32 + low;
}
