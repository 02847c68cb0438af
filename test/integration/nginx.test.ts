// Two `sealpush serve` nodes on MySQL and Redis behind nginx, run from deploy/nginx.conf (the
// setup of docs/deploy.md "Two nodes behind nginx"): clients connect and publishers publish
// through nginx only; round robin spreads clients over both nodes; every message reaches its
// client wherever it is; when a node stops, its clients reconnect through nginx to the other
// one and resume, and nothing is lost or delivered twice.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { freshDatabase, type TestDatabase } from '../helpers/mysql.js';
import { startNginx, nginxMissing, type Nginx } from '../helpers/nginx.js';
import { exited, runCli, spawnServer, type ServerProcess } from '../helpers/process.js';
import { TEST_REDIS_URL, mysqlMissing, redisMissing } from '../helpers/requirements.js';
import { eventually, tempDir } from '../helpers/server.js';

const skip = nginxMissing() ?? mysqlMissing() ?? redisMissing();

describe('two nodes behind nginx (deploy/nginx.conf)', { skip }, () => {
  let db: TestDatabase;
  let redis: Redis;
  let nginx: Nginx;
  const nodes: ServerProcess[] = [];
  const dirs: string[] = [];
  const clients: SealPushClient[] = [];
  /** Message ids each client received, in order. */
  const received = new Map<SealPushClient, string[]>();
  let publisher: SealPushApp;
  let app: { appId: string; secret: string };

  before(async () => {
    db = await freshDatabase();
    redis = new Redis(TEST_REDIS_URL!, { lazyConnect: true });
    await redis.connect();
    // What docs/deploy.md has a user do: one master key for every node, migrate once, one app.
    const env = { SEALPUSH_STORE: db.url, SEALPUSH_REDIS: TEST_REDIS_URL!, SEALPUSH_MASTER_KEY: randomBytes(32).toString('hex'), SEALPUSH_TRUST_PROXY: '1' };
    for (let i = 0; i < 2; i++) dirs.push(tempDir());
    assert.equal((await runCli(['migrate', '--data', dirs[0]!], env)).code, 0);
    app = JSON.parse((await runCli(['apps', 'create', 'behind-nginx', '--json', '--data', dirs[0]!], env)).stdout) as { appId: string; secret: string };
    for (const dir of dirs) nodes.push(await spawnServer(dir, env));
    nginx = await startNginx([new URL(nodes[0]!.url).host, new URL(nodes[1]!.url).host]);
    publisher = new SealPushApp({ url: nginx.url, appId: app.appId, secret: app.secret });
  });
  after(async () => {
    for (const client of clients) await client.close();
    if (process.env.SEALPUSH_TEST_SHOW_OUTPUT) process.stderr.write((nginx?.output() ?? '') + nodes.map((n) => n.output()).join('\n'));
    await nginx?.stop();
    for (const node of nodes) {
      node.child.kill('SIGTERM');
      await exited(node.child);
    }
    redis?.disconnect();
    await db?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function connectThroughNginx(): Promise<SealPushClient> {
    const client = await connect({ url: nginx.url, appId: app.appId, serverKey: nodes[0]!.serverKey });
    clients.push(client);
    const ids: string[] = [];
    received.set(client, ids);
    client.on('message', (m) => ids.push(m.id));
    return client;
  }

  const holderOf = async (client: SealPushClient): Promise<string> =>
    eventually(async () => (await redis.get(`sealpush:presence:${client.clientId}`)) ?? undefined, `presence of ${client.clientId}`);

  /** Publishes `count` messages through nginx to every client; the ids, per client, in order. */
  async function publishToAll(label: string, count: number): Promise<Map<SealPushClient, string[]>> {
    const sent = new Map<SealPushClient, string[]>();
    for (const client of clients) {
      const results = await publisher.publishBatch(Array.from({ length: count }, (_, i) => ({ to: client.clientId, data: { label, i } })));
      sent.set(client, results.map((r) => {
        assert.ok('id' in r, `accepted: ${JSON.stringify(r)}`);
        return r.id;
      }));
    }
    return sent;
  }

  async function allDelivered(what: string): Promise<void> {
    const expected = new Map<SealPushClient, string[]>();
    for (const sent of published) for (const [client, ids] of sent) expected.set(client, [...(expected.get(client) ?? []), ...ids]);
    await eventually(async () => ([...expected].every(([client, ids]) => received.get(client)!.length >= ids.length) ? true : undefined), what);
    for (const [client, ids] of expected) assert.deepEqual(received.get(client), ids, `${client.clientId}: every message once, in order`);
  }
  const published: Map<SealPushClient, string[]>[] = [];

  test('/metrics is served by each node but not through nginx', async () => {
    assert.equal((await fetch(`${nodes[0]!.url}/metrics`)).status, 200);
    assert.equal((await fetch(`${nginx.url}/metrics`)).status, 404);
  });

  test('round robin puts clients on both nodes, and each gets what is published through nginx', async () => {
    const holders = new Set<string>();
    for (let i = 0; i < 8 && (holders.size < 2 || clients.length < 4); i++) holders.add(await holderOf(await connectThroughNginx()));
    assert.equal(holders.size, 2, 'clients landed on both nodes');
    published.push(await publishToAll('first', 3));
    await allDelivered('the first messages delivered');
  });

  test('a node stops: its clients reconnect through nginx to the other one, resume, and miss nothing', async () => {
    const before = new Map(await Promise.all(clients.map(async (c) => [c, await holderOf(c)] as const)));
    // Published while both nodes run, and not yet read by the clients of the node that stops.
    published.push(await publishToAll('before-stop', 2));
    const stopped = nodes[1]!;
    stopped.child.kill('SIGTERM');
    await exited(stopped.child);
    published.push(await publishToAll('after-stop', 2));

    const remaining = await eventually(async () => {
      const now = await Promise.all(clients.map((c) => redis.get(`sealpush:presence:${c.clientId}`)));
      return now.every((h) => h !== null && h === now[0]) ? now[0]! : undefined;
    }, 'every client held by the remaining node');
    const moved = clients.filter((c) => before.get(c) !== remaining);
    assert.ok(moved.length > 0, 'some clients were on the stopped node and moved');
    await allDelivered('every message delivered after the move');
  });
});
