import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { MEMORY_SLACK_MS, RedisNonceCache } from '../../src/drivers/redis/nonces.js';
import { isSealPushError } from '../../src/domain/errors.js';
import { TEST_REDIS_URL, redisMissing } from '../helpers/requirements.js';
import { RedisTestConnections, deleteKeys } from '../helpers/redis.js';
import { runNonceCacheConformance } from './nonce-cache.suite.js';

const skip = redisMissing();

if (skip === undefined) {
  // Redis keeps the ttl itself, so the suite's clock-moving tests are skipped; the ttl that
  // Redis holds is checked below instead.
  runNonceCacheConformance('redis', async () => {
    const redis = new RedisTestConnections(TEST_REDIS_URL!);
    const options = { keyPrefix: `${redis.prefix}nonce:` };
    return {
      cache: new RedisNonceCache(await redis.open(), options),
      peer: new RedisNonceCache(await redis.open(), options),
      cleanup: () => redis.cleanup(),
    };
  });

  const connections = new RedisTestConnections(TEST_REDIS_URL!);
  after(() => connections.cleanup());

  test('redis: a claim sets the prefixed key with the ttl in milliseconds, so Redis forgets it then', async () => {
    const redis = await connections.open();
    const cache = new RedisNonceCache(redis, { keyPrefix: `${connections.prefix}nonce:` });
    assert.equal(await cache.claim('app:n', 30), true);
    const ttl = await redis.pttl(`${connections.prefix}nonce:app:n`);
    assert.ok(ttl > 29_000 && ttl <= 30_000, `PTTL ${ttl}`);
    assert.equal(await cache.claim('app:fraction', 0.25), true);
    const short = await redis.pttl(`${connections.prefix}nonce:app:fraction`);
    assert.ok(short > 0 && short <= 250, `PTTL ${short}`);
  });

  // Found by `npm run chaos -- engines-redis`: a signed request sent before Redis restarted (or
  // was flushed) and replayed after it was accepted a second time, inside its 300 s window.
  test('redis: once its memory is lost (a restart, FLUSHALL), a key issued before is refused, not claimed; one issued after is claimed once', async () => {
    const redis = await connections.open();
    const prefix = `${connections.prefix}lost:`;
    let now = 1_700_000_000_000;
    const cache = new RedisNonceCache(redis, { keyPrefix: prefix, clock: { now: () => now } });
    const signedBefore = now - 1000;
    assert.equal(await cache.claim('app:a', 600, 'app', signedBefore), true);
    assert.equal(await cache.claim('app:a', 600, 'app', signedBefore), false, 'a replay while Redis remembers');

    now += 60_000;
    await deleteKeys(redis, prefix); // what a restart or a FLUSHALL does, limited to this test's keys
    const refused = await cache.claim('app:a', 600, 'app', signedBefore).then(() => 'claimed', (err: unknown) => (isSealPushError(err) ? err.code : String(err)));
    assert.equal(refused, 'ERR_UNAVAILABLE', 'the replay after the loss is refused, as a request to sign again');
    assert.equal(await redis.exists(`${prefix}app:a`), 0, 'and claims nothing');

    assert.equal(await cache.claim('app:b', 600, 'app', now - MEMORY_SLACK_MS + 1000), true, 'a request signed just before its claim is served');
    assert.equal(await cache.claim('app:b', 600, 'app', now - MEMORY_SLACK_MS + 1000), false);
    assert.equal(await cache.claim('app:c', 600), true, 'a key with no issue time is claimed as before');
  });
} else {
  test('Redis nonce cache conformance', { skip }, () => {});
}
