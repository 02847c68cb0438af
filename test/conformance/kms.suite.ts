/** The Kms conformance suite: round trip, context binding and tamper evidence. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kms } from '../../src/domain/ports/kms.js';

export interface KmsFixture {
  readonly kms: Kms;
  cleanup(): Promise<void>;
}

export type KmsFactory = () => Promise<KmsFixture>;

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

export function runKmsConformance(driverName: string, factory: KmsFactory): void {
  async function withKms(fn: (kms: Kms) => Promise<void>): Promise<void> {
    const fx = await factory();
    try {
      await fn(fx.kms);
    } finally {
      await fx.cleanup();
    }
  }

  describe(`Kms conformance: ${driverName}`, () => {
    test('unwrap(wrap(x, ctx), ctx) returns x, for empty and large inputs', () => withKms(async (kms) => {
      for (const size of [0, 1, 32, 4096]) {
        const secret = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
        const blob = await kms.wrap(secret, 'app-secret:A');
        assert.equal(hex(await kms.unwrap(blob, 'app-secret:A')), hex(secret));
      }
    }));

    test('a blob does not contain its plaintext, and two wraps differ', () => withKms(async (kms) => {
      const secret = new TextEncoder().encode('a very recognisable secret value');
      const [one, two] = [await kms.wrap(secret, 'ctx'), await kms.wrap(secret, 'ctx')];
      assert.equal(hex(one).includes(hex(secret)), false);
      assert.notEqual(hex(one), hex(two));
    }));

    test('another context is rejected', () => withKms(async (kms) => {
      const blob = await kms.wrap(new Uint8Array([1, 2, 3]), 'app-secret:A');
      for (const other of ['app-secret:B', 'app-secret:A ', '', 'APP-SECRET:A']) {
        await assert.rejects(kms.unwrap(blob, other), Error, JSON.stringify(other));
      }
    }));

    test('any altered, missing or added byte is rejected', () => withKms(async (kms) => {
      const blob = await kms.wrap(new Uint8Array([9, 8, 7, 6, 5]), 'ctx');
      for (let i = 0; i < blob.length; i++) {
        const altered = Uint8Array.from(blob);
        altered[i] = (altered[i] as number) ^ 0x01;
        await assert.rejects(kms.unwrap(altered, 'ctx'), Error, `byte ${i}`);
      }
      await assert.rejects(kms.unwrap(blob.subarray(0, blob.length - 1), 'ctx'));
      await assert.rejects(kms.unwrap(Uint8Array.from([...blob, 0]), 'ctx'));
      await assert.rejects(kms.unwrap(new Uint8Array(0), 'ctx'));
    }));
  });
}
