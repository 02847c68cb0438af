/**
 * The NonceCache conformance suite. Expiry is tested through the fixture's `advance`, which
 * moves the driver's clock; a driver whose clock cannot be moved (a server-side TTL) omits
 * it, and those tests are skipped rather than slept through.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { NonceCache } from '../../src/domain/ports/nonce-cache.js';

export interface NonceCacheFixture {
  readonly cache: NonceCache;
  /** Moves the cache's clock forward by `ms`. */
  readonly advance?: (ms: number) => Promise<void>;
  /** The same cache as another node sees it (its own connection); a one-process driver omits it. */
  readonly peer?: NonceCache;
  cleanup(): Promise<void>;
}

export type NonceCacheFactory = () => Promise<NonceCacheFixture>;

export function runNonceCacheConformance(driverName: string, factory: NonceCacheFactory): void {
  async function withCache(fn: (fx: NonceCacheFixture) => Promise<void>): Promise<void> {
    const fx = await factory();
    try {
      await fn(fx);
    } finally {
      await fx.cleanup();
    }
  }

  /**
   * Runs `fn` with a cache whose clock the test moves; a driver without a movable clock
   * (server-side TTLs) skips the test rather than sleeping.
   */
  async function withMovableClock(
    t: TestContext,
    fn: (cache: NonceCacheFixture['cache'], move: (ms: number) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const probe = await factory();
    const canAdvance = probe.advance !== undefined;
    await probe.cleanup();
    if (!canAdvance) {
      t.skip('the driver clock cannot be moved');
      return;
    }
    await withCache(({ cache, advance }) => fn(cache, advance as (ms: number) => Promise<void>));
  }

  describe(`NonceCache conformance: ${driverName}`, () => {
    test('the first claim of a key wins, every later one loses', () => withCache(async ({ cache }) => {
      assert.equal(await cache.claim('app1:n1', 60), true);
      assert.equal(await cache.claim('app1:n1', 60), false);
      assert.equal(await cache.claim('app1:n1', 600), false, 'a longer ttl does not win either');
    }));

    test('keys are independent', () => withCache(async ({ cache }) => {
      assert.equal(await cache.claim('a', 60), true);
      assert.equal(await cache.claim('b', 60), true);
      assert.equal(await cache.claim('A', 60), true, 'keys are case-sensitive');
      assert.equal(await cache.claim('a', 60), false);
    }));

    test('an owner only accounts for a key: a key claimed under one owner is refused under any other', () => withCache(async ({ cache }) => {
      assert.equal(await cache.claim('owned:1', 60, 'app_a'), true);
      assert.equal(await cache.claim('owned:1', 60, 'app_b'), false);
      assert.equal(await cache.claim('owned:1', 60), false);
      assert.equal(await cache.claim('owned:2', 60, 'app_b'), true);
    }));

    test('of many concurrent claims of one key, exactly one wins', () => withCache(async ({ cache }) => {
      const results = await Promise.all(Array.from({ length: 50 }, () => cache.claim('race', 60)));
      assert.equal(results.filter(Boolean).length, 1);
    }));

    test('two nodes racing claims of the same keys: exactly one claim of each key wins', () => withCache(async ({ cache, peer }) => {
      const other = peer ?? cache;
      const keys = Array.from({ length: 20 }, (_, i) => `both:${i}`);
      const claims = keys.flatMap((key) => [cache.claim(key, 60), other.claim(key, 60), other.claim(key, 60), cache.claim(key, 60)]);
      const results = await Promise.all(claims);
      keys.forEach((key, i) => assert.equal(results.slice(i * 4, i * 4 + 4).filter(Boolean).length, 1, key));
      assert.equal(await other.claim('both:0', 60), false, 'what one node claimed the other cannot');
    }));

    test('a key is refused until its ttl has passed, then claimable again', async (t) => {
      await withMovableClock(t, async (cache, move) => {
        assert.equal(await cache.claim('k', 30), true);
        await move(29_999);
        assert.equal(await cache.claim('k', 30), false, 'still inside the ttl');
        await move(1);
        assert.equal(await cache.claim('k', 30), true, 'claimable once the ttl has passed');
        assert.equal(await cache.claim('k', 30), false, 'and that claim starts a new ttl');
      });
    });

    test('each key keeps its own ttl', async (t) => {
      await withMovableClock(t, async (cache, move) => {
        assert.equal(await cache.claim('short', 1), true);
        assert.equal(await cache.claim('long', 100), true);
        await move(1_000);
        assert.equal(await cache.claim('short', 1), true);
        assert.equal(await cache.claim('long', 100), false);
      });
    });
  });
}
