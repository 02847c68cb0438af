// The short form of `npm run chaos -- engines-redis` (docs/reliability.md), Redis's faults:
// three nodes on one MySQL database and a Redis of the test's own, behind a balancer, under
// publishers and resuming clients; Redis killed and started again empty, then FLUSHALLed. The
// recorded history must show nothing lost, duplicated or reordered and no status going back;
// the nodes answered only what docs/deploy.md says meanwhile, let no request replayed after
// the fault through, recovered, and none exited. The paused node: chaos-engines-redis-pause.
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { shortEnginesRedis } from '../helpers/engines-redis.js';
import { mysqlMissing, requirement } from '../helpers/requirements.js';

const skip = mysqlMissing() ?? requirement('redis-server', spawnSync('redis-server', ['--version']).status === 0, 'apt-get install -y redis-server');

test('Redis restarted empty, then flushed, under load: nothing lost, duplicated or reordered, no replay let through', { timeout: 300_000, skip }, async () => {
  await shortEnginesRedis(['redis-restart', 'redis-flushall']);
});
