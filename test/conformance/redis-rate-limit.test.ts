import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MemoryRateLimit } from '../../src/drivers/limits/memory.js';
import { closeRedisConnection, openRedisConnection } from '../../src/drivers/redis/connection.js';
import { RedisRateLimit } from '../../src/drivers/redis/rate-limit.js';
import type { RateLimitSpec } from '../../src/domain/ports/rate-limit.js';
import { RecordingLogger } from '../helpers/domain.js';
import { TEST_REDIS_URL, redisMissing, requirement } from '../helpers/requirements.js';
import { OwnRedisServer, RedisTestConnections } from '../helpers/redis.js';
import { runRateLimitConformance } from './rate-limit.suite.js';

const skip = redisMissing();
const clock = { now: () => Date.now() };

if (skip === undefined) {
  // Redis keeps the time, so the suite's clock-moving test is skipped; the window Redis holds
  // is checked below instead.
  runRateLimitConformance('redis', async () => {
    const redis = new RedisTestConnections(TEST_REDIS_URL!);
    const [one, two] = [await redis.open(), await redis.open()];
    const options = (spec: RateLimitSpec) => ({ ...spec, name: 'test', keyPrefix: redis.prefix, fallback: new MemoryRateLimit(spec, clock) });
    return {
      make: (spec) => ({ limit: new RedisRateLimit(one, options(spec)), peer: new RedisRateLimit(two, options(spec)) }),
      cleanup: () => redis.cleanup(),
    };
  });

  const connections = new RedisTestConnections(TEST_REDIS_URL!);
  after(() => connections.cleanup());

  test('redis: fixed windows of burst / rate seconds, the options in the key, which expires with its window', async () => {
    const redis = await connections.open();
    const spec = { ratePerSecond: 0.5, burst: 30 };
    const limit = new RedisRateLimit(redis, { ...spec, name: 'w', keyPrefix: connections.prefix, fallback: new MemoryRateLimit(spec, clock) });
    assert.deepEqual([limit.windowSeconds, limit.points], [60, 30]);
    assert.equal(await limit.take('k', 30), 0);
    const wait = await limit.take('k');
    const ttl = await redis.pttl(`${connections.prefix}w:30/60s:k`);
    assert.ok(ttl > 55_000 && ttl <= 60_000, `PTTL ${ttl}`);
    assert.ok(wait > 55_000 && wait <= 60_000, `the wait is what is left of the window, got ${wait}`);
    assert.equal(await redis.get(`${connections.prefix}w:30/60s:k`), '30', 'the refused take added nothing');
    const fast = new RedisRateLimit(redis, { ratePerSecond: 1000, burst: 10, name: 'w', fallback: new MemoryRateLimit({ ratePerSecond: 1000, burst: 10 }, clock) });
    assert.deepEqual([fast.windowSeconds, fast.points], [1, 1000], 'a window is at least a second, holding a second of the rate');
  });
} else {
  test('Redis rate limit conformance', { skip }, () => {});
}

const ownRedis = requirement('redis-server', spawnSync('redis-server', ['--version']).status === 0, 'apt-get install -y redis-server');

describe('redis rate limit while Redis is down', { skip: ownRedis }, () => {
  test('every take is answered by this node\'s memory limit (not open, not closed), logged once; shared again once Redis is back', async () => {
    const server = await OwnRedisServer.start();
    const redis = await openRedisConnection({ url: server.url });
    const logger = new RecordingLogger();
    const spec = { ratePerSecond: 0.01, burst: 3 };
    const limit = new RedisRateLimit(redis, { ...spec, name: 'outage', fallback: new MemoryRateLimit(spec, clock), logger });
    try {
      assert.equal(await limit.take('ip'), 0, 'counted in Redis');
      await server.kill();
      const during = await Promise.all(Array.from({ length: 5 }, () => limit.take('ip')));
      assert.deepEqual(during.map((wait) => wait === 0), [true, true, true, false, false], 'the fallback holds the limit on its own');
      const warnings = logger.entries.filter((e) => e.level === 'warn');
      assert.equal(warnings.length, 1, JSON.stringify(logger.entries));
      assert.equal((warnings[0]!.obj as { limit?: string }).limit, 'outage');

      await server.start();
      await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));
      assert.equal(await limit.take('ip'), 0, 'Redis (restarted empty) counts again');
      assert.ok(logger.entries.some((e) => e.level === 'info' && (e.obj as { limit?: string }).limit === 'outage'), 'the return is logged');
    } finally {
      await closeRedisConnection(redis);
      await server.kill();
    }
  });
});
