// A Redis outage on a real `sealpush serve` process (SEALPUSH_REDIS at a redis-server this test
// starts on a free port): while Redis is down every publish is 503 ERR_UNAVAILABLE with
// Retry-After, never a 202, and /readyz is 503; once it is back on the same port the node
// recovers by itself (no restart) and publishes are accepted and delivered again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { RequestSigner } from '../../src/app/signing.js';
import type { CreatedApp } from '../../src/domain/usecases/apps.js';
import { collect } from '../helpers/messages.js';
import { exited, runCli, spawnServer, type ServerProcess } from '../helpers/process.js';
import { OwnRedisServer, freePort } from '../helpers/redis.js';
import { requirement } from '../helpers/requirements.js';
import { createApp, eventually, tempDir } from '../helpers/server.js';

const skip = requirement('redis-server', spawnSync('redis-server', ['--version']).status === 0, 'apt-get install -y redis-server');

describe('Redis outage', { skip }, () => {
  let redis: OwnRedisServer;
  let dataDir: string;
  let app: CreatedApp;
  let node: ServerProcess;
  let client: SealPushClient;

  before(async () => {
    redis = await OwnRedisServer.start();
    dataDir = tempDir();
    app = await createApp(dataDir, 'outage');
    node = await spawnServer(dataDir, { SEALPUSH_REDIS: redis.url });
    client = await connect({ url: node.url, appId: app.appId, serverKey: node.serverKey });
  });
  after(async () => {
    await client?.close();
    if (process.env.SEALPUSH_TEST_SHOW_OUTPUT) process.stderr.write(node?.output() ?? '');
    node?.child.kill('SIGTERM');
    if (node) await exited(node.child);
    await redis?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function publish(id: string): Promise<Response> {
    const body = JSON.stringify({ to: client.clientId, data: { id }, id });
    const authorization = await new RequestSigner(app.appId, app.secret).authorization({ method: 'POST', pathWithQuery: '/v1/messages', body: new TextEncoder().encode(body) });
    return fetch(`${node.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
  }

  const readyStatus = async (): Promise<number> => (await fetch(`${node.url}/readyz`)).status;

  let adminToken: string | undefined;
  async function overview(): Promise<{ partial: boolean; connections: number; nodes: unknown[] }> {
    if (adminToken === undefined) {
      const made = await runCli(['--data', dataDir, 'admin', 'create', '--json']);
      assert.equal(made.code, 0, made.stderr);
      adminToken = (JSON.parse(made.stdout) as { token: string }).token;
    }
    const res = await fetch(`${node.url}/v1/admin/overview`, { headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as { partial: boolean; connections: number; nodes: unknown[] };
  }

  test('publishes are refused with 503 while Redis is down, and accepted again once it is back', async () => {
    const first = collect(client, 1);
    assert.equal((await publish('before')).status, 202);
    assert.deepEqual((await first).map((m) => m.id), ['before']);
    assert.equal(await readyStatus(), 200);

    await redis.kill();
    // At once, before readiness has noticed: the nonce claim itself fails, and that is a 503.
    for (const id of ['down-1', 'down-2', 'down-3']) {
      const res = await publish(id);
      assert.equal(res.status, 503, `${id} must not be accepted`);
      assert.equal(res.headers.get('retry-after'), '1');
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'ERR_UNAVAILABLE');
    }
    await eventually(async () => ((await readyStatus()) === 503 ? true : undefined), '/readyz to turn 503');
    // The operator still sees this node, and is told the other nodes are out of sight.
    const down = await overview();
    assert.deepEqual([down.partial, down.connections, down.nodes.length], [true, 1, 1]);
    const later = await publish('down-4');
    assert.equal(later.status, 503);
    assert.equal(later.headers.get('retry-after'), '1');

    await redis.start();
    await eventually(async () => ((await readyStatus()) === 200 ? true : undefined), '/readyz to turn 200 again');
    await eventually(async () => ((await overview()).partial === false ? true : undefined), 'the whole view again');
    const next = collect(client, 1);
    assert.equal((await publish('after')).status, 202);
    assert.deepEqual((await next).map((m) => m.id), ['after'], 'nothing refused during the outage was stored');

    // The restarted Redis was empty: the node put its client's presence back by itself.
    const probe = new Redis(redis.url, { lazyConnect: true });
    await probe.connect();
    try {
      const holder = await eventually(async () => (await probe.get(`sealpush:presence:${client.clientId}`)) ?? undefined, 'presence to be set again');
      assert.match(holder, /^node-[0-9a-f]{12}$/);
    } finally {
      probe.disconnect();
    }
  });

  test('a node does not start on a Redis it cannot reach, and says why without the password', async () => {
    const url = `redis://:not-this-pw-31d7@127.0.0.1:${await freePort()}`;
    await assert.rejects(spawnServer(dataDir, { SEALPUSH_REDIS: url }), (err: Error) => {
      assert.match(err.message, /ERR_UNAVAILABLE: Cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
      assert.ok(!err.message.includes('not-this-pw-31d7'), err.message);
      return true;
    });
  });
});
