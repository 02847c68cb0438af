// The password in SEALPUSH_REDIS reaches Redis and nothing else: not a log line (trace level,
// through a connection loss), not an API answer, not a config error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { RequestSigner } from '../../src/app/signing.js';
import { ConfigError, parseConfig } from '../../src/config.js';
import { OwnRedisServer } from '../helpers/redis.js';
import { requirement } from '../helpers/requirements.js';
import { captureLogs, startTestServer } from '../helpers/server.js';

const skip = requirement('redis-server', spawnSync('redis-server', ['--version']).status === 0, 'apt-get install -y redis-server');
const PASSWORD = 'redis-pw-5e1f0c9a7b';

test('the Redis password appears in no log line, API answer or config error', { skip }, async () => {
  const redis = await OwnRedisServer.start(['--requirepass', PASSWORD]);
  const logs = captureLogs();
  const server = await startTestServer({ redis: `redis://:${PASSWORD}@127.0.0.1:${redis.port}` }, logs.logger);
  const bodies: string[] = [];
  try {
    const publish = async (id: string): Promise<number> => {
      const body = JSON.stringify({ to: 'nobody', data: 1, id });
      const authorization = await new RequestSigner(server.app.appId, server.app.secret).authorization({ method: 'POST', pathWithQuery: '/v1/messages', body: new TextEncoder().encode(body) });
      const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
      bodies.push(await res.text());
      return res.status;
    };
    assert.equal(await publish('up'), 404, 'authenticated through Redis (the client does not exist)');
    await redis.kill();
    assert.equal(await publish('down'), 503);
    bodies.push(await (await fetch(`${server.url}/readyz`)).text());
  } finally {
    await server.close();
    await redis.kill();
  }
  assert.match(logs.text(), /redis connection (lost|closed)/, 'the outage was logged');
  assert.ok(!logs.text().includes(PASSWORD), 'no log line holds the password');
  for (const body of bodies) assert.ok(!body.includes(PASSWORD), body);

  for (const bad of [`http://:${PASSWORD}@host:6379`, `redis://:${PASSWORD}@`, 'not a url']) {
    assert.throws(() => parseConfig({ redis: bad }), (err: unknown) => err instanceof ConfigError && /redis: must be a redis:\/\//.test(err.message) && !err.message.includes(PASSWORD));
  }
  assert.equal(parseConfig({ redis: 'rediss://db.internal:6380/2' }).redis, 'rediss://db.internal:6380/2');
});
