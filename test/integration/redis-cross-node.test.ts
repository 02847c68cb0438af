// Two nodes sharing one store and one Redis: a message published on one node reaches a client
// connected to the other through the Redis bus, and a client that moves is found on its new node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { collect } from '../helpers/messages.js';
import { RedisTestConnections, deleteKeys } from '../helpers/redis.js';
import { TEST_REDIS_URL, redisMissing } from '../helpers/requirements.js';
import { eventually, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const skip = redisMissing();

describe('two nodes over Redis', { skip }, () => {
  let dataDir: string;
  let nodeA: TestServer;
  let nodeB: TestServer;
  let redis: RedisTestConnections;
  const clientIds: string[] = [];

  before(async () => {
    dataDir = tempDir();
    redis = new RedisTestConnections(TEST_REDIS_URL!);
    // The nodes use the default key prefix; what they leave is named by this run's random app,
    // client and node ids, and deleted after.
    nodeA = await startTestServer({ dataDir, redis: TEST_REDIS_URL });
    nodeB = await startTestServer({ dataDir, redis: TEST_REDIS_URL });
  });
  after(async () => {
    await nodeA?.close();
    await nodeB?.close();
    if (nodeA) await deleteKeys(await redis.open(), `sealpush:nonce:${nodeA.app.appId}:`);
    for (const clientId of clientIds) await deleteKeys(await redis.open(), `sealpush:presence:${clientId}`);
    await redis?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a message published on node A reaches its client on node B, live, in order', async () => {
    const app = new SealPushApp({ url: nodeA.url, appId: nodeA.app.appId, secret: nodeA.app.secret });
    const client = await connect({ url: nodeB.url, appId: nodeA.app.appId, serverKey: nodeB.identity.publicKey });
    clientIds.push(client.clientId);
    try {
      const probe = await redis.open();
      await eventually(async () => ((await probe.get(`sealpush:presence:${client.clientId}`)) ?? undefined), 'presence on node B');
      const received = collect(client, 3);
      for (const n of [1, 2, 3]) assert.equal((await app.publish({ to: client.clientId, data: { n }, id: `x-${client.clientId}-${n}` })).status, 'queued');
      assert.deepEqual((await received).map((m) => m.data), [{ n: 1 }, { n: 2 }, { n: 3 }]);
    } finally {
      await client.close();
    }
  });
});
