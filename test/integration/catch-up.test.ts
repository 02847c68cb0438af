// The periodic catch-up (docs/deploy.md, "Several nodes") runs only where the bus can drop
// envelopes: with Redis. A single node on the in-process bus never pays for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_REDIS_URL, redisMissing } from '../helpers/requirements.js';
import { captureLogs, startTestServer } from '../helpers/server.js';

const CATCH_UP_LINE = 'periodic catch-up of live clients on';

test('a single node (no Redis) runs no periodic catch-up', async (t) => {
  const logs = captureLogs();
  const server = await startTestServer({ catchUpIntervalMs: 100 }, logs.logger);
  t.after(() => server.close());
  assert.ok(logs.text().length > 0, 'the logger is the node\'s');
  assert.ok(!logs.text().includes(CATCH_UP_LINE));
});

test('a node on Redis checks its live clients every catchUpIntervalMs', { skip: redisMissing() }, async (t) => {
  const logs = captureLogs();
  const server = await startTestServer({ catchUpIntervalMs: 1234, redis: TEST_REDIS_URL! }, logs.logger);
  t.after(() => server.close());
  const line = logs.text().split('\n').find((l) => l.includes(CATCH_UP_LINE));
  assert.equal((JSON.parse(line ?? '{}') as { catchUpIntervalMs?: number }).catchUpIntervalMs, 1234);
});
