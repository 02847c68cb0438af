// The short form of `npm run chaos -- engines-redis` (docs/reliability.md): three nodes on one
// MySQL database and a Redis of the test's own, behind a balancer, under publishers and
// resuming clients; Redis restarted empty, Redis flushed, and one node SIGSTOPped for longer
// than the presence ttl, once each. The recorded history must show nothing lost, duplicated or
// reordered and no status going back; the nodes answered only what docs/deploy.md says during
// each fault, let no replay through twice, recovered, and none exited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { enginesRedisRun, runEnginesRedis } from '../../chaos/engines-redis/scenario.js';
import { freshDatabase } from '../helpers/mysql.js';
import { mysqlMissing, requirement } from '../helpers/requirements.js';

const skip = mysqlMissing() ?? requirement('redis-server', spawnSync('redis-server', ['--version']).status === 0, 'apt-get install -y redis-server');

test('Redis restarted, Redis flushed, a node paused past the presence ttl: nothing lost, duplicated or reordered', { timeout: 180_000, skip }, async () => {
  const db = await freshDatabase();
  try {
    const result = await runEnginesRedis({ ...enginesRedisRun(true), mysqlUrl: db.url });
    const summary = JSON.stringify({ ...result, faults: result.faults }, (_k, v: unknown) => (Array.isArray(v) && v.length > 5 ? v.slice(0, 5) : v));
    assert.ok(result.accepted > 0, 'the load got messages accepted');
    assert.deepEqual([result.lost, result.duplicated, result.unexpected, result.reordered], [[], [], [], []], summary);
    assert.deepEqual(result.backwards, [], result.backwardReads.join('; '));
    assert.deepEqual(result.refusals, [], 'nothing refused for good');
    assert.deepEqual(result.problems, [], summary);
    assert.deepEqual(result.faults.map((f) => f.fault), ['redis-restart', 'redis-flushall', 'node-paused']);
    assert.ok(result.faults.every((f) => f.recoveredMs !== null), 'recovered after every fault');
    assert.ok(result.resumes > 0, 'clients resumed meanwhile');
    assert.equal(result.passed, true);
  } finally {
    await db.drop();
  }
});
