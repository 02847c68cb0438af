import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  base64urlDecode,
  base64urlEncode,
  bytesEqual,
  concatBytes,
  hexDecode,
  hexEncode,
  readU64,
  utf8Decode,
  utf8Encode,
  writeU64,
} from '../../src/crypto/encoding.js';

describe('encoding', () => {
  it('base64url matches node for every length 0..64 and round-trips', () => {
    for (let length = 0; length <= 64; length++) {
      const bytes = new Uint8Array(randomBytes(length));
      const text = base64urlEncode(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64url'));
      assert.deepEqual(base64urlDecode(text), bytes);
    }
  });

  it('base64url decode rejects padding, foreign characters, bad lengths and non-canonical tails', () => {
    for (const bad of ['AA==', 'A', 'AB+/', 'AB/C', 'AB C', 'ABCDE', 'AB\u00e9C', 'AF', 'AAB']) {
      assert.throws(() => base64urlDecode(bad), TypeError, bad);
    }
    assert.deepEqual(base64urlDecode('AA'), Uint8Array.of(0));
  });

  it('hex round-trips and rejects malformed input', () => {
    assert.equal(hexEncode(Uint8Array.of(0, 15, 16, 255)), '000f10ff');
    assert.deepEqual(hexDecode('000F10ff'), Uint8Array.of(0, 15, 16, 255));
    for (const bad of ['0', 'zz', '0x00', ' 00']) assert.throws(() => hexDecode(bad), TypeError, bad);
  });

  it('utf8 decode is strict', () => {
    assert.equal(utf8Decode(utf8Encode('grüße ✓ 𝄞')), 'grüße ✓ 𝄞');
    assert.throws(() => utf8Decode(Uint8Array.of(0xc3, 0x28)), TypeError);
    assert.throws(() => utf8Decode(Uint8Array.of(0xed, 0xa0, 0x80)), TypeError);
  });

  it('concatBytes and bytesEqual', () => {
    assert.deepEqual(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)), Uint8Array.of(1, 2, 3));
    assert.equal(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2)), true);
    assert.equal(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3)), false);
    assert.equal(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1)), false);
  });

  it('u64 big-endian up to 2^53-1', () => {
    const buffer = new Uint8Array(10);
    for (const value of [0, 1, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER]) {
      writeU64(buffer, 1, value);
      assert.equal(Buffer.from(buffer).readBigUInt64BE(1), BigInt(value));
      assert.equal(readU64(buffer, 1), value);
    }
    assert.throws(() => writeU64(buffer, 0, -1), RangeError);
    assert.throws(() => writeU64(buffer, 0, 2 ** 53), RangeError);
    assert.throws(() => writeU64(buffer, 0, 1.5), RangeError);
    Buffer.from(buffer.buffer).writeBigUInt64BE(2n ** 53n, 0);
    assert.throws(() => readU64(buffer, 0), RangeError);
    assert.throws(() => readU64(buffer, 3), RangeError);
  });
});
