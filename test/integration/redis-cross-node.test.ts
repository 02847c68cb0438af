// Two nodes sharing one store and one Redis: a message published on one node reaches a client
// connected to the other through the Redis bus, and a client that moves is found on its new node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { collect } from '../helpers/messages.js';
import { runCli } from '../helpers/process.js';
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

  test('the operator view from either node counts both: nodes, connections, deliveries, refusals, the last verification', async () => {
    const made = await runCli(['--data', dataDir, 'admin', 'create', '--json']);
    assert.equal(made.code, 0, made.stderr);
    const { token } = JSON.parse(made.stdout) as { token: string };
    const admin = async <T>(node: TestServer, path: string, method = 'GET'): Promise<T> => {
      const res = await fetch(`${node.url}/v1/admin/${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, path);
      return (await res.json()) as T;
    };
    type Overview = { connections: number; partial: boolean; nodes: { nodeId: string; self: boolean; connections: number }[]; apps: { appId: string; connections: number }[] };
    const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
    const delivered = async (node: TestServer): Promise<number> => sum((await admin<{ delivered: number[] }>(node, 'throughput?seconds=600')).delivered);

    const client = await connect({ url: nodeB.url, appId: nodeA.app.appId, serverKey: nodeB.identity.publicKey });
    clientIds.push(client.clientId);
    try {
      // Node A, which holds no connection, sees node B's: within a report or two.
      const seen = await eventually(async () => {
        const o = await admin<Overview>(nodeA, 'overview');
        return o.nodes.length === 2 && o.apps.find((a) => a.appId === nodeA.app.appId)?.connections === 1 ? o : undefined;
      }, 'node B reported to node A');
      assert.equal(seen.partial, false);
      assert.equal(seen.connections, 1);
      assert.deepEqual(seen.nodes.map((n) => [n.self, n.connections]).sort(), [[false, 1], [true, 0]]);
      // Both views hold both nodes' reports now: what they count from here on is the same.
      const before = { a: await delivered(nodeA), b: await delivered(nodeB) };
      assert.equal(before.a, before.b, 'one count, whichever node is asked');

      const received = collect(client, 5);
      const app = new SealPushApp({ url: nodeA.url, appId: nodeA.app.appId, secret: nodeA.app.secret });
      await app.publishBatch([1, 2, 3, 4, 5].map((n) => ({ to: client.clientId, data: n, id: `t-${client.clientId}-${n}` })));
      await received;
      // Delivered by node B, counted in the view of node A (and of B).
      await eventually(async () => ((await delivered(nodeA)) - before.a === 5 ? true : undefined), "node A's view counts node B's deliveries");
      await eventually(async () => ((await delivered(nodeB)) - before.b === 5 ? true : undefined), "node B's own view");

      // A refusal on node B is listed by node A; a verification run on A is B's state too.
      await fetch(`${nodeB.url}/v1/clients/c_nobody`);
      await eventually(async () => {
        const { failures } = await admin<{ failures: { code: string }[] }>(nodeA, 'auth-failures');
        return failures.some((f) => f.code === 'ERR_AUTH_MISSING') ? true : undefined;
      }, "node B's refusal in node A's list");
      const verification = await admin<{ state: string; at: string }>(nodeA, 'audit/verify', 'POST');
      assert.equal(verification.state, 'verified');
      await eventually(async () => ((await admin<{ verification: { at: string } | null }>(nodeB, 'audit')).verification?.at === verification.at ? true : undefined), "node A's verification seen by node B");
    } finally {
      await client.close();
    }
  });
});

