// The short form of `npm run chaos -- engines-redis` (docs/reliability.md), the paused node:
// of three nodes on one MySQL database and a Redis of the test's own, under load, one is
// SIGSTOPped for longer than the presence ttl (30 s) while its clients move to the others,
// then SIGCONTed. The other nodes kept serving (no stall behind the stopped node's locks:
// mysql-stopped-node.test.ts), the resumed node delivered nothing stale or twice, nothing was
// lost, and a request replayed after it was refused.
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { shortEnginesRedis } from '../helpers/engines-redis.js';
import { mysqlMissing, requirement } from '../helpers/requirements.js';

const skip = mysqlMissing() ?? requirement('redis-server', spawnSync('redis-server', ['--version']).status === 0, 'apt-get install -y redis-server');

test('a node SIGSTOPped past the presence ttl, then resumed, under load: nothing lost, duplicated or stale', { timeout: 300_000, skip }, async () => {
  await shortEnginesRedis(['node-paused']);
});
