import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createBusEnvelopeCipher } from '../../src/crypto/node/at-rest.js';
import { RedisNodeReports } from '../../src/drivers/redis/node-reports.js';
import type { NodeReport } from '../../src/domain/ports/node-reports.js';
import { TEST_REDIS_URL, redisMissing } from '../helpers/requirements.js';
import { RedisTestConnections } from '../helpers/redis.js';

const skip = redisMissing();

function report(nodeId: string, at: number): NodeReport {
  return {
    nodeId,
    startedAt: at - 1000,
    at,
    connections: 4,
    appConnections: { app_secretive: 4 },
    endsAtSecond: Math.floor(at / 1000),
    published: [1, 2],
    delivered: [3, 4],
    authFailures: [{ at: new Date(at).toISOString(), code: 'ERR_AUTH_SIGNATURE', scheme: 'hmac', appId: 'app_claimed', issuer: null, remote: '203.0.113.7' }],
    auditVerification: null,
  };
}

describe('RedisNodeReports on a real Redis', { skip }, () => {
  const connections = new RedisTestConnections(TEST_REDIS_URL!);
  after(() => connections.cleanup());
  const key = new Uint8Array(randomBytes(32));

  test('what one node puts, another reads back whole, until its ttl passes', async () => {
    let now = Date.now();
    const options = { keyPrefix: connections.prefix, now: () => now };
    const a = new RedisNodeReports(await connections.open(), createBusEnvelopeCipher(key), options);
    const b = new RedisNodeReports(await connections.open(), createBusEnvelopeCipher(key), options);
    assert.deepEqual(await b.live(), []);
    await a.put(report('node-a', now), 5000);
    await b.put(report('node-b', now), 5000);
    const live = await a.live();
    assert.deepEqual(live.sort((x, y) => x.nodeId.localeCompare(y.nodeId)), [report('node-a', now), report('node-b', now)]);

    // Put again: one entry per node, its expiry moved on.
    await a.put({ ...report('node-a', now), connections: 9 }, 5000);
    assert.deepEqual((await b.live()).map((r) => [r.nodeId, r.connections]).sort(), [['node-a', 9], ['node-b', 4]]);

    // Past a report's ttl it is no longer live (the index says so even before Redis drops the key).
    now += 6000;
    await b.put(report('node-b', now), 5000);
    assert.deepEqual((await a.live()).map((r) => r.nodeId), ['node-b']);
    const index = await (await connections.open()).zrange(`${connections.prefix}node-reports`, '0', '-1');
    assert.deepEqual(index, ['node-b'], 'expired entries are trimmed on put');
  });

  test('Redis holds the report sealed; a report sealed under another key is skipped, not shown', async () => {
    const redis = await connections.open();
    const prefix = `${connections.prefix}sealed:`;
    const mine = new RedisNodeReports(redis, createBusEnvelopeCipher(key), { keyPrefix: prefix });
    const stranger = new RedisNodeReports(redis, createBusEnvelopeCipher(new Uint8Array(randomBytes(32))), { keyPrefix: prefix });
    await mine.put(report('node-a', Date.now()), 5000);
    await stranger.put(report('node-x', Date.now()), 5000);
    const raw = await redis.getBuffer(`${prefix}node-report:node-a`);
    assert.ok(raw && raw.length > 0);
    for (const clear of ['203.0.113.7', 'app_claimed', 'app_secretive', 'ERR_AUTH_SIGNATURE']) assert.equal(raw.includes(clear), false, `${clear} in the clear`);
    assert.ok((await redis.pttl(`${prefix}node-report:node-a`)) > 4000);
    assert.deepEqual((await mine.live()).map((r) => r.nodeId), ['node-a']);
    assert.deepEqual((await stranger.live()).map((r) => r.nodeId), ['node-x']);
  });

  test('a ttl that is not a positive integer is refused before anything is written', async () => {
    const reports = new RedisNodeReports(await connections.open(), createBusEnvelopeCipher(key), { keyPrefix: `${connections.prefix}bad:` });
    for (const ttl of [0, -1, 1.5, Number.NaN]) await assert.rejects(reports.put(report('n', Date.now()), ttl), RangeError);
    assert.deepEqual(await reports.live(), []);
  });
});
