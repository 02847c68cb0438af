// Webhooks on three `sealpush serve` processes over one MySQL database and one Redis (this
// test's own redis-server). The receiver hangs, so the node holding the endpoint's lease has a
// request in flight; that node is SIGKILLed. Another node takes the endpoint over when the lease
// runs out, and every delivered and acked change arrives: once per webhook-id after dedup, in
// order per client, signed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect, type Message } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { freshDatabase, type TestDatabase } from '../helpers/mysql.js';
import { exited, spawnServer, type ServerProcess } from '../helpers/process.js';
import { OwnRedisServer } from '../helpers/redis.js';
import { mysqlMissing, requirement } from '../helpers/requirements.js';
import { eventually, tempDir } from '../helpers/server.js';
import { WebhookReceiver, makeTestPki, type TestPki } from '../helpers/webhook-receiver.js';
import { setUpWebhooks, type WebhookSetup } from '../helpers/webhook-node.js';

const skip = mysqlMissing() ?? requirement('redis-server', spawnSync('redis-server', ['--version']).status === 0, 'apt-get install -y redis-server');

const NODES = 3;
const CLIENTS = 24;
const PER_CLIENT = 3;

describe('webhooks on three nodes over MySQL, the sending node killed', { skip }, () => {
  let pki: TestPki;
  let receiver: WebhookReceiver;
  let db: TestDatabase;
  let redis: OwnRedisServer;
  let setup: WebhookSetup;
  const dirs: string[] = [];
  const nodes: { process: ServerProcess; id: string }[] = [];

  const dataDir = (): string => {
    const dir = tempDir();
    dirs.push(dir);
    return dir;
  };

  before(async () => {
    pki = makeTestPki();
    receiver = new WebhookReceiver(pki);
    await receiver.start();
    db = await freshDatabase();
    redis = await OwnRedisServer.start();
    setup = await setUpWebhooks(dataDir(), receiver.url, {
      env: {
        SEALPUSH_STORE: db.url, SEALPUSH_REDIS: redis.url, SEALPUSH_MASTER_KEY: randomBytes(32).toString('hex'),
        NODE_EXTRA_CA_CERTS: pki.caFile, SEALPUSH_WEBHOOK_ALLOW_PRIVATE: '1',
      },
      config: {
        webhooks: { pollMs: 50, leaseSeconds: 2, timeoutMs: 30_000 },
        limits: { registrationsPerSecondPerApp: 10_000, handshakesPerSecondPerIp: 100_000 },
      },
      addArgs: ['--events', 'delivered,acked'],
    });
    receiver.trust(setup.endpoint.secret);
    for (let n = 0; n < NODES; n++) {
      // At info level a node logs its id ("nodeId") when it joins Redis: the lease names it.
      const process = await spawnServer(dataDir(), { ...setup.env, SEALPUSH_LOG_LEVEL: 'info' });
      const id = /"nodeId":"(node-[0-9a-f]+)"/.exec(process.output())?.[1];
      assert.ok(id, 'the node logged its id');
      nodes.push({ process, id });
    }
  });

  after(async () => {
    for (const node of nodes) {
      if (node.process.child.exitCode === null && node.process.child.signalCode === null) node.process.child.kill('SIGTERM');
      await exited(node.process.child);
    }
    await receiver.stop();
    await redis?.kill();
    await db?.drop();
    pki.remove();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('every change arrives once per webhook-id, in order per client, after the sending node dies mid-send', { timeout: 120_000 }, async () => {
    receiver.mode = 'hang';
    const expected = new Map<string, string[]>();
    await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => {
      const node = nodes[i % NODES]!.process;
      const client = await connect({ url: node.url, appId: setup.app.appId, serverKey: node.serverKey });
      const received: Message[] = [];
      const all = new Promise<void>((resolve) => client.on('message', (m) => {
        received.push(m);
        if (received.length === PER_CLIENT) resolve();
      }));
      const publisher = new SealPushApp({ url: nodes[(i + 1) % NODES]!.process.url, appId: setup.app.appId, secret: setup.app.secret });
      const ids: string[] = [];
      for (let k = 0; k < PER_CLIENT; k++) ids.push((await publisher.publish({ to: client.clientId, data: { k }, id: `c${i}-m${k}` })).id);
      await all;
      await client.close(); // sends its last ACK
      expected.set(client.clientId, ids);
    }));

    // A client's last ACK (sent as it closes) commits a moment later: the changes whose events
    // this test counts are the committed ones, so every message is acked before a node dies.
    const reader = new SealPushApp({ url: nodes[0]!.process.url, appId: setup.app.appId, secret: setup.app.secret });
    const all = [...expected.values()].flat();
    await eventually(async () => {
      const statuses = await Promise.all(all.map(async (id) => (await reader.status(id)).status));
      return statuses.every((s) => s === 'acked') ? true : undefined;
    }, 'every message acked', 30_000);
    await eventually(async () => (receiver.hung >= 1 ? true : undefined), 'a request in flight', 30_000);
    const [lease] = (await db.query('SELECT lease_owner FROM webhook_endpoints')) as { lease_owner: Buffer | string }[];
    const owner = String(lease!.lease_owner);
    const victim = nodes.find((n) => n.id === owner);
    assert.ok(victim, `the lease names a node of this test (${owner})`);
    victim.process.child.kill('SIGKILL');
    await exited(victim.process.child);
    const port = await receiver.stop();
    receiver.mode = 'ok';
    await receiver.start(port);

    const wanted = CLIENTS * PER_CLIENT * 2;
    await eventually(async () => (receiver.events().length >= wanted ? true : undefined), `${wanted} events`, 60_000);
    const events = receiver.events();
    assert.equal(events.length, wanted);
    assert.equal(receiver.unverified, 0);
    for (const [clientId, ids] of expected) {
      const got = events.filter((e) => e.data.to === clientId).map((e) => `${e.type.slice(8)}:${String(e.data.id)}`);
      assert.deepEqual(got.filter((e) => e.startsWith('delivered:')), ids.map((id) => `delivered:${id}`), `${clientId}: delivered in order`);
      assert.deepEqual(got.filter((e) => e.startsWith('acked:')), ids.map((id) => `acked:${id}`), `${clientId}: acked in order`);
    }
    const [after] = (await db.query('SELECT lease_owner FROM webhook_endpoints')) as { lease_owner: Buffer | string | null }[];
    assert.notEqual(String(after!.lease_owner), owner, 'another node took the endpoint over');
    // The receiver records a batch before it answers, and the node deletes it from the outbox
    // after the answer: the last batch leaves the outbox a moment after its events arrived.
    const outbox = async (): Promise<number> => ((await db.query('SELECT COUNT(*) AS n FROM webhook_events')) as { n: number }[])[0]!.n;
    await eventually(async () => ((await outbox()) === 0 ? true : undefined), 'the outbox to empty', 10_000);
  });
});
