import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisNonceCache } from '../../src/drivers/redis/nonces.js';
import { TEST_REDIS_URL, redisMissing } from '../helpers/requirements.js';
import { RedisTestConnections } from '../helpers/redis.js';
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
} else {
  test('Redis nonce cache conformance', { skip }, () => {});
}
