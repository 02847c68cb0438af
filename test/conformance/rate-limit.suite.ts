/**
 * The RateLimit conformance suite (the contract in src/domain/ports/rate-limit.ts). Refilling
 * is tested through the fixture's `advance`, which moves the driver's clock; a driver whose
 * clock cannot be moved (Redis keeps the time) omits it, and that test is skipped rather than
 * slept through.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RateLimit, RateLimitSpec } from '../../src/domain/ports/rate-limit.js';

export interface RateLimitFixture {
  /** A limit with these options, and the same limit as another node sees it (a one-process driver gives itself). */
  make(spec: RateLimitSpec): { limit: RateLimit; peer: RateLimit };
  /** Moves the limits' clock forward by `ms`. */
  readonly advance?: (ms: number) => void;
  cleanup(): Promise<void>;
}

export type RateLimitFactory = () => Promise<RateLimitFixture>;

export function runRateLimitConformance(driverName: string, factory: RateLimitFactory): void {
  async function withLimits(fn: (fx: RateLimitFixture) => Promise<void>): Promise<void> {
    const fx = await factory();
    try {
      await fn(fx);
    } finally {
      await fx.cleanup();
    }
  }

  describe(`RateLimit conformance: ${driverName}`, () => {
    test('a fresh key passes its burst of single takes, then is refused with a wait; keys are independent', () => withLimits(async ({ make }) => {
      const { limit } = make({ ratePerSecond: 0.01, burst: 5 });
      for (let i = 0; i < 5; i++) assert.equal(await limit.take('a'), 0, `take ${i}`);
      const wait = await limit.take('a');
      assert.ok(wait >= 1, `refused with a wait, got ${wait}`);
      assert.equal(await limit.take('b'), 0, 'another key has its own budget');
      assert.equal(await limit.take('A'), 0, 'keys are case-sensitive');
    }));

    test('a cost is taken whole or not at all: a refused take spends nothing', () => withLimits(async ({ make }) => {
      const { limit } = make({ ratePerSecond: 0.01, burst: 10 });
      assert.equal(await limit.take('app', 6), 0);
      assert.ok((await limit.take('app', 6)) >= 1, 'only 4 left');
      assert.equal(await limit.take('app', 4), 0, 'the refused 6 spent nothing');
      assert.ok((await limit.take('app', 1)) >= 1, 'and now it is all spent');
    }));

    test('a cost above the burst never passes, and spends nothing', () => withLimits(async ({ make }) => {
      const { limit } = make({ ratePerSecond: 1000, burst: 3 });
      assert.equal(limit.burst, 3);
      assert.ok((await limit.take('k', 4)) >= 1);
      assert.equal(await limit.take('k', 3), 0);
    }));

    test('of many concurrent takes of one key, no more pass than the budget holds', () => withLimits(async ({ make }) => {
      const { limit } = make({ ratePerSecond: 0.01, burst: 20 });
      const results = await Promise.all(Array.from({ length: 60 }, () => limit.take('race')));
      assert.equal(results.filter((wait) => wait === 0).length, 20);
    }));

    test('two nodes taking from one key share its budget', () => withLimits(async ({ make }) => {
      const { limit, peer } = make({ ratePerSecond: 0.01, burst: 12 });
      const takes = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? limit : peer).take('shared'));
      assert.equal((await Promise.all(takes)).filter((wait) => wait === 0).length, 12);
      assert.ok((await peer.take('shared')) >= 1, 'what one node spent the other cannot');
    }));

    test('after the wait it was told, a refused take passes', async (t) => {
      const probe = await factory();
      const canAdvance = probe.advance !== undefined;
      await probe.cleanup();
      if (!canAdvance) return t.skip('the driver clock cannot be moved');
      await withLimits(async ({ make, advance }) => {
        const { limit } = make({ ratePerSecond: 10, burst: 5 });
        for (let i = 0; i < 5; i++) await limit.take('k');
        const wait = await limit.take('k', 2);
        assert.ok(wait >= 1);
        advance!(wait - 1);
        assert.ok((await limit.take('k', 2)) >= 1, 'not before');
        advance!(1);
        assert.equal(await limit.take('k', 2), 0);
      });
    });

    test('nonsense limits are refused when built', () => withLimits(async ({ make }) => {
      assert.throws(() => make({ ratePerSecond: 0, burst: 10 }), RangeError);
      assert.throws(() => make({ ratePerSecond: 10, burst: 0 }), RangeError);
    }));
  });
}
