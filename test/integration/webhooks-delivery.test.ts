// Webhooks end to end on one `sealpush serve` process (SQLite): a real HTTPS receiver under a
// private CA (trusted through NODE_EXTRA_CA_CERTS), real SDK clients that receive and ack, and
// a publisher on the signed REST API. The receiver fails for a while (500, then down: connection
// refused, then a hang past the sender's timeout), and the node is kill -9ed with a request in
// flight: afterwards every status change arrived, verified by the standardwebhooks library, once
// per webhook-id after dedup, in order per client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { collect } from '../helpers/messages.js';
import { exited, runCli, spawnServer, type ServerProcess } from '../helpers/process.js';
import { eventually, tempDir } from '../helpers/server.js';
import { WebhookReceiver, makeTestPki, type TestPki } from '../helpers/webhook-receiver.js';

const CLIENTS = 4;
const PER_CLIENT = 5;

/** Each event of `events` per client, in arrival order, as "type:messageId". */
function perClient(events: { type: string; data: Record<string, unknown> }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    const to = String(e.data.to);
    if (!out.has(to)) out.set(to, []);
    out.get(to)!.push(`${e.type.slice(8)}:${String(e.data.id)}`);
  }
  return out;
}

describe('webhooks: one node, a failing receiver, kill -9 mid-send', () => {
  let pki: TestPki;
  let receiver: WebhookReceiver;
  let dataDir: string;
  let env: Record<string, string>;
  let server: ServerProcess;
  let app: { appId: string; secret: string };
  let endpoint: { id: string; secret: string; events: string[] };

  before(async () => {
    pki = makeTestPki();
    receiver = new WebhookReceiver(pki);
    await receiver.start();
    dataDir = tempDir();
    const config = join(dataDir, 'test-config.json');
    // A short sender timeout, so that the hanging receiver costs the test seconds, not tens.
    writeFileSync(config, JSON.stringify({ sweepIntervalMs: 500, webhooks: { timeoutMs: 1000, pollMs: 50 } }));
    env = { NODE_EXTRA_CA_CERTS: pki.caFile, SEALPUSH_WEBHOOK_ALLOW_PRIVATE: '1', SEALPUSH_CONFIG: config };
    assert.equal((await runCli(['--data', dataDir, 'init'], env)).code, 0);
    const created = await runCli(['--data', dataDir, 'apps', 'create', 'hooks', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    app = JSON.parse(created.stdout) as { appId: string; secret: string };
    const added = await runCli(['--data', dataDir, 'webhooks', 'add', app.appId, '--url', receiver.url, '--events', 'delivered,acked,expired', '--json'], env);
    assert.equal(added.code, 0, added.stderr);
    endpoint = JSON.parse(added.stdout) as { id: string; secret: string; events: string[] };
    assert.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(endpoint.events, ['message.delivered', 'message.acked', 'message.expired']);
    receiver.trust(endpoint.secret);
    server = await spawnServer(dataDir, env);
  });

  after(async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
    await receiver.stop();
    pki.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('every delivered, acked and expired change arrives once per webhook-id, signed, in order per client', { timeout: 120_000 }, async () => {
    receiver.mode = 'fail';
    const clients: SealPushClient[] = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await connect({ url: server.url, appId: app.appId, serverKey: server.serverKey }));
    const publisher = new SealPushApp({ url: server.url, appId: app.appId, secret: app.secret });
    const expectedAcked = new Map<string, string[]>();
    for (const client of clients) {
      const arrived = collect(client, PER_CLIENT);
      const ids: string[] = [];
      for (let k = 0; k < PER_CLIENT; k++) ids.push((await publisher.publish({ to: client.clientId, data: { k }, id: `${client.clientId}-${k}` })).id);
      await arrived;
      expectedAcked.set(client.clientId, ids);
    }
    // One more client that never connects again: its message expires unsent.
    const gone = await connect({ url: server.url, appId: app.appId, serverKey: server.serverKey });
    await gone.close();
    const expiring = await publisher.publish({ to: gone.clientId, data: 'too late', id: 'expiring', ttl: 1 });

    // Failing: 500s, then nothing listening (connection refused), then a receiver that hangs.
    await eventually(async () => (receiver.refused >= 3 ? true : undefined), 'three refused attempts', 20_000);
    const port = await receiver.stop();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    receiver.mode = 'hang';
    await receiver.start(port);
    await eventually(async () => (receiver.hung >= 1 ? true : undefined), 'a request left hanging', 30_000);
    assert.equal(receiver.accepted.length, 0, 'nothing was accepted while it failed');
    for (const client of clients) await client.close();

    // The node dies with a request in flight; the receiver recovers; a new node resumes the
    // schedule from the outbox.
    server.child.kill('SIGKILL');
    await exited(server.child);
    await receiver.stop();
    receiver.mode = 'ok';
    await receiver.start(port);
    server = await spawnServer(dataDir, env);

    const wanted = CLIENTS * PER_CLIENT * 2 + 1;
    await eventually(async () => (receiver.events().length >= wanted ? true : undefined), `${wanted} events`, 60_000);
    const events = receiver.events();
    assert.equal(receiver.unverified, 0, 'every request verified under the endpoint secret');
    assert.equal(events.length, wanted, 'nothing more than the changes');
    const byClient = perClient(events);
    for (const [clientId, ids] of expectedAcked) {
      const got = byClient.get(clientId) ?? [];
      // Delivered before acked for each message; per type, in seq order.
      assert.deepEqual(got.filter((e) => e.startsWith('delivered:')), ids.map((id) => `delivered:${id}`), `${clientId}: delivered events in order`);
      assert.deepEqual(got.filter((e) => e.startsWith('acked:')), ids.map((id) => `acked:${id}`), `${clientId}: acked events in order`);
      for (const id of ids) assert.ok(got.indexOf(`delivered:${id}`) < got.indexOf(`acked:${id}`), `${id}: delivered before acked`);
    }
    assert.deepEqual(byClient.get(gone.clientId), [`expired:${expiring.id}`]);
    const acked = events.find((e) => e.type === 'message.acked')!;
    assert.deepEqual(Object.keys(acked.data).sort(), ['ackedAt', 'createdAt', 'deliveredAt', 'expiresAt', 'id', 'status', 'to']);
    assert.equal(acked.data.status, 'acked');
    const expired = events.find((e) => e.type === 'message.expired')!;
    assert.deepEqual([expired.data.status, expired.data.deliveredAt, expired.data.ackedAt], ['expired', null, null]);
    const first = receiver.accepted[0]!;
    assert.ok(Math.abs(first.timestamp - Date.now() / 1000) < 120, 'webhook-timestamp is the send time, in seconds');
  });

  test('the outbox is empty once every event was sent: nothing is kept after a 2xx', async () => {
    const failed = await runCli(['--data', dataDir, 'webhooks', 'failed', app.appId, '--json'], env);
    assert.equal(failed.code, 0, failed.stderr);
    assert.deepEqual(JSON.parse(failed.stdout), []);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /sealpush_webhook_events_total\{outcome="sent"\} [1-9]/);
  });
});
