// Three `sealpush serve` processes on one MySQL database and one Redis (a redis-server of this
// test's own, so nothing shared is touched), all with the same master key: any node serves any
// client and takes any publish. 200 clients spread over them; 3000 messages published
// round-robin to all nodes; one node is SIGKILLed mid-run. Its clients resume on another node,
// publishes that hit it are retried elsewhere with the same ids; every accepted message then
// reaches its client exactly once and in order, and nothing acked is sent again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { connect, type Message, type SealPushClient } from '../../src/client/node.js';
import type { SavedSession } from '../../src/client/session.js';
import { SealPushApp, type PublishResult } from '../../src/app/index.js';
import { collect } from '../helpers/messages.js';
import { freshDatabase, type TestDatabase } from '../helpers/mysql.js';
import { exited, runCli, spawnServer, type ServerProcess } from '../helpers/process.js';
import { OwnRedisServer } from '../helpers/redis.js';
import { mysqlMissing, requirement } from '../helpers/requirements.js';
import { eventually, tempDir } from '../helpers/server.js';

const skip = mysqlMissing() ?? requirement('redis-server', spawnSync('redis-server', ['--version']).status === 0, 'apt-get install -y redis-server');

const NODES = 3;
const CLIENTS = 200;
const MESSAGES = 3000;
const BATCH = 50;
/** Short, so the dropped-envelope test waits little; the default is 5000. */
const CATCH_UP_MS = 300;

describe('several nodes on MySQL and Redis', { skip }, () => {
  const masterKey = randomBytes(32).toString('hex');
  const dirs: string[] = [];
  let db: TestDatabase;
  let redis: OwnRedisServer;
  let env: Record<string, string>;
  let nodes: ServerProcess[] = [];
  let app: { appId: string; secret: string };

  function dataDir(): string {
    const dir = tempDir();
    dirs.push(dir);
    return dir;
  }

  before(async () => {
    db = await freshDatabase();
    redis = await OwnRedisServer.start();
    const config = join(dataDir(), 'config.json');
    // All 200 clients are new to the app and connect at once from 127.0.0.1: more than the
    // default registrations per second and handshakes per address.
    writeFileSync(config, JSON.stringify({ catchUpIntervalMs: CATCH_UP_MS, limits: { registrationsPerSecondPerApp: 10_000, handshakesPerSecondPerIp: 100_000 } }));
    env = { SEALPUSH_STORE: db.url, SEALPUSH_REDIS: redis.url, SEALPUSH_MASTER_KEY: masterKey, SEALPUSH_CONFIG: config };
    const migrated = await runCli(['migrate', '--data', dataDir()], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    const created = await runCli(['apps', 'create', 'multinode', '--json', '--data', dataDir()], env);
    assert.equal(created.code, 0, created.stderr);
    app = JSON.parse(created.stdout) as { appId: string; secret: string };
    nodes = await Promise.all(Array.from({ length: NODES }, () => spawnServer(dataDir(), env)));
  });

  after(async () => {
    for (const node of nodes) {
      if (process.env.SEALPUSH_TEST_SHOW_OUTPUT) process.stderr.write(node.output());
      node.child.kill('SIGTERM');
      await exited(node.child);
    }
    await redis?.kill();
    await db?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('every node is ready with MySQL and Redis up, and all share one identity key', async () => {
    for (const node of nodes) assert.equal((await fetch(`${node.url}/readyz`)).status, 200);
    assert.equal(new Set(nodes.map((n) => n.serverKey)).size, 1, 'the identity key lives in MySQL, wrapped by the shared master key');
  });

  test('a bus envelope that never arrives is delivered by the periodic catch-up', async () => {
    const client = await connect({ url: nodes[0]!.url, appId: app.appId, serverKey: nodes[0]!.serverKey });
    const commands = new Redis(redis.url);
    try {
      const presence = `sealpush:presence:${client.clientId}`;
      await eventually(async () => (await commands.get(presence)) ?? undefined, 'presence recorded');
      // Node 1 now routes this client's messages to a node nobody runs: the envelope is lost,
      // as one published while node 0 re-subscribes would be. Node 0 leaves another node's
      // presence alone, so nothing puts it back.
      await commands.set(presence, 'node-nowhere', 'PX', 60_000);
      const arrived = collect(client, 1);
      const publisher = new SealPushApp({ url: nodes[1]!.url, appId: app.appId, secret: app.secret });
      await publisher.publish({ to: client.clientId, data: 'lost on the bus', id: 'dropped-1' });
      assert.deepEqual((await arrived).map((m) => m.id), ['dropped-1']);
    } finally {
      commands.disconnect();
      await client.close();
    }
  });

  test('200 clients, 3000 messages round-robin over three nodes, one SIGKILLed mid-run: each accepted message arrives once, in order', { timeout: 120_000 }, async () => {
    const wsUrls = nodes.map((n) => n.url.replace(/^http/, 'ws') + '/v1/ws');
    const received = new Map<string, Message[]>();
    const sessions = new Map<string, SavedSession>();
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        // The SDK takes one url; a socket constructor that moves on to the next node on each
        // (re)connect is all a client needs to leave a dead node.
        let next = i % NODES;
        class NextNode extends WebSocket {
          constructor() {
            super(wsUrls[next++ % NODES]!);
          }
        }
        const client = await connect({ url: wsUrls[i % NODES]!, appId: app.appId, serverKey: nodes[0]!.serverKey, WebSocket: NextNode, reconnect: { minDelayMs: 100, maxDelayMs: 1000 } });
        const messages: Message[] = [];
        received.set(client.clientId, messages);
        client.on('message', (m) => messages.push(m));
        client.on('session', (s) => sessions.set(client.clientId, s));
        return client;
      }),
    );
    const ids = [...received.keys()];

    // Message k goes to client k mod 200; batch b to node b mod 3, or the next one if that fails.
    const expected = new Map<string, string[]>(ids.map((id) => [id, []]));
    const dead = new Set<number>();
    let retried = 0;
    async function publishBatch(batch: number): Promise<void> {
      const messages = Array.from({ length: BATCH }, (_, j) => {
        const k = batch * BATCH + j;
        return { to: ids[k % CLIENTS]!, data: { k }, id: `m-${k}` };
      });
      for (let attempt = 0; ; attempt++) {
        // The publisher is not told which node died: a publish to it fails, and goes to the next.
        const node = (batch + attempt) % NODES;
        let results: PublishResult[];
        try {
          results = await new SealPushApp({ url: nodes[node]!.url, appId: app.appId, secret: app.secret, timeoutMs: 5000 }).publishBatch(messages);
        } catch {
          retried++;
          continue; // the node died (or is dying): same ids on the next one
        }
        results.forEach((r, j) => {
          assert.ok(!('error' in r), `message ${messages[j]!.id} refused: ${JSON.stringify(r)}`);
          expected.get(messages[j]!.to)!.push(messages[j]!.id);
        });
        return;
      }
    }
    const batches = MESSAGES / BATCH;
    const victim = 0;
    for (let b = 0; b < batches; b += NODES) {
      if (b === Math.floor(batches / 3 / NODES) * NODES) {
        // Mid-run, with publishes to it in flight.
        const inFlight = Array.from({ length: NODES }, (_, n) => publishBatch(b + n));
        nodes[victim]!.child.kill('SIGKILL');
        dead.add(victim);
        await Promise.all(inFlight);
        continue;
      }
      await Promise.all(Array.from({ length: Math.min(NODES, batches - b) }, (_, n) => publishBatch(b + n)));
    }
    await exited(nodes[victim]!.child);

    await eventually(async () => {
      for (const id of ids) if (received.get(id)!.length < expected.get(id)!.length) return undefined;
      return true;
    }, 'every accepted message received', 60_000);
    let moved = 0; // clients that were on the killed node
    for (const id of ids) {
      const got = received.get(id)!;
      assert.deepEqual(got.map((m) => m.id).sort(), [...expected.get(id)!].sort(), `client ${id}: each accepted message once, none missing`);
      for (let i = 1; i < got.length; i++) assert.ok(got[i]!.seq > got[i - 1]!.seq, `client ${id}: seqs increase`);
      const byK = got.map((m) => (m.data as { k: number }).k);
      assert.deepEqual(byK, [...byK].sort((a, b) => a - b), `client ${id}: in publish order`);
      if (ids.indexOf(id) % NODES === victim) moved++;
    }
    assert.ok(moved > 0);
    assert.ok(retried > 0, 'publishes that hit the dead node were retried elsewhere');

    // Nothing acked is sent again: close every client (which sends its last ACK), wait until the
    // store holds each ACK, then resume each on a live node claiming it holds nothing
    // (lastSeq 0) and publish one marker: delivery is in seq order, so anything acked that
    // came back would arrive before it.
    await Promise.all(clients.map((c) => c.close()));

    // A publisher unsure whether a batch was committed sends it again, to another node: the ids
    // make every message of it a duplicate, so no client gets anything new: a new message would
    // stay unacked (its client is closed) and come before its marker.
    const resent = Array.from({ length: BATCH }, (_, j) => ({ to: ids[j % CLIENTS]!, data: { k: j }, id: `m-${j}` }));
    const repeated = await new SealPushApp({ url: nodes[1]!.url, appId: app.appId, secret: app.secret }).publishBatch(resent);
    assert.ok(repeated.every((r) => !('error' in r)), JSON.stringify(repeated));
    await eventually(async () => {
      const rows = (await db.query('SELECT id, last_seq, acked_seq FROM clients WHERE id IN (?)', [ids])) as { id: string; last_seq: number; acked_seq: number }[];
      return rows.length === CLIENTS && rows.every((r) => Number(r.acked_seq) === Number(r.last_seq)) ? true : undefined;
    }, 'every ACK committed (and no message of the resent batch stored twice)', 30_000);
    const live = nodes.filter((_, n) => !dead.has(n));
    const publisher = new SealPushApp({ url: live[0]!.url, appId: app.appId, secret: app.secret });
    await Promise.all(
      ids.map(async (id, i) => {
        const node = live[i % live.length]!;
        const resumed = await connect({ url: node.url, appId: app.appId, serverKey: node.serverKey, session: { ...sessions.get(id)!, lastSeq: 0 } });
        try {
          const first = collect(resumed, 1);
          await publisher.publish({ to: id, data: 'marker', id: `marker-${i}` });
          assert.deepEqual((await first).map((m) => m.id), [`marker-${i}`], `client ${id}: nothing acked came back`);
        } finally {
          await resumed.close();
        }
      }),
    );
    process.stderr.write(`# multinode: ${MESSAGES} accepted, ${retried} batch publishes retried on another node, ${moved} clients moved\n`);
  });
});
