// An endpoint that keeps failing, on real `sealpush serve` processes: its events are kept as
// failed once their retry period ends (listed by `webhooks failed`); an endpoint failing long
// enough without a success is paused (nothing more is sent to it, however many events wait); and
// `webhooks retry` sends the failed ones again and resumes it. Short periods stand in for the
// default three days (a node restarts between the two tests, with other periods).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { collect } from '../helpers/messages.js';
import { exited, runCli, spawnServer, type ServerProcess } from '../helpers/process.js';
import { eventually, tempDir } from '../helpers/server.js';
import { WebhookReceiver, makeTestPki, type TestPki } from '../helpers/webhook-receiver.js';
import { setUpWebhooks, type WebhookSetup } from '../helpers/webhook-node.js';

describe('webhooks: failed events, a paused endpoint, and retry', () => {
  let pki: TestPki;
  let receiver: WebhookReceiver;
  let dataDir: string;
  let setup: WebhookSetup;
  let server: ServerProcess;
  let client: SealPushClient;
  let publisher: SealPushApp;

  const cli = async <T>(...args: string[]): Promise<T> => {
    const result = await runCli(['--data', dataDir, ...args, '--json'], setup.env);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as T;
  };
  const endpointState = async (): Promise<string> => (await cli<{ state: string }[]>('webhooks', 'list', setup.app.appId))[0]!.state;

  /** A node with these webhook periods (seconds), and a client of it. */
  async function startNode(retryPeriodSeconds: number, pauseAfterSeconds: number): Promise<void> {
    writeFileSync(setup.env.SEALPUSH_CONFIG!, JSON.stringify({ webhooks: { pollMs: 50, retryPeriodSeconds, pauseAfterSeconds } }));
    server = await spawnServer(dataDir, setup.env);
    client = await connect({ url: server.url, appId: setup.app.appId, serverKey: server.serverKey });
    publisher = new SealPushApp({ url: server.url, appId: setup.app.appId, secret: setup.app.secret });
  }

  async function stopNode(): Promise<void> {
    await client.close();
    server.child.kill('SIGTERM');
    await exited(server.child);
  }

  /** `ids` published to the client and received by it (it acks them). */
  async function deliver(ids: string[]): Promise<void> {
    const arrived = collect(client, ids.length);
    for (const id of ids) await publisher.publish({ to: client.clientId, data: { id }, id });
    await arrived;
  }

  before(async () => {
    pki = makeTestPki();
    receiver = new WebhookReceiver(pki);
    await receiver.start();
    dataDir = tempDir();
    setup = await setUpWebhooks(dataDir, receiver.url, { env: { NODE_EXTRA_CA_CERTS: pki.caFile, SEALPUSH_WEBHOOK_ALLOW_PRIVATE: '1' } });
    receiver.trust(setup.endpoint.secret);
  });

  after(async () => {
    await receiver.stop();
    pki.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('failed: retried for the retry period, then kept as failed and listed; retry sends them again', { timeout: 60_000 }, async () => {
    await startNode(2, 3600);
    try {
      receiver.mode = 'fail';
      await deliver(['f-1', 'f-2']);
      const failed = await eventually(async () => {
        const list = await cli<{ webhookId: string; attempts: number; lastError: string; event: { type: string; data: { id: string } } }[]>('webhooks', 'failed', setup.app.appId);
        return list.length === 2 ? list : undefined;
      }, 'both events failed', 20_000);
      assert.deepEqual(failed.map((f) => [f.event.type, f.event.data.id, f.lastError]), [['message.acked', 'f-1', 'http 500'], ['message.acked', 'f-2', 'http 500']]);
      assert.ok(failed.every((f) => /^evt_/.test(f.webhookId)));
      // f-1 heads the client's chain and is retried through its period; f-2 waits behind it, so
      // on a slow machine its period may end before its own first attempt fails.
      assert.ok(failed[0]!.attempts >= 2, `f-1 retried before it failed: ${failed[0]!.attempts} attempts`);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /sealpush_webhook_events_total\{outcome="failed"\} 2/);
      assert.match(metrics, /sealpush_webhook_events_total\{outcome="retry"\} [1-9]/);

      // Sent again while the receiver still fails: a whole new retry period, not one last attempt.
      assert.deepEqual(await cli('webhooks', 'retry', setup.app.appId), { requeued: 2 });
      const again = await eventually(async () => {
        const list = await cli<{ attempts: number; event: { data: { id: string } } }[]>('webhooks', 'failed', setup.app.appId);
        return list.length === 2 ? list : undefined;
      }, 'both events failed again', 20_000);
      // f-1 heads the client's chain, so it is tried from the start of the new period (f-2 waits behind it).
      assert.equal(again[0]!.event.data.id, 'f-1');
      assert.ok(again[0]!.attempts >= 2, `f-1 retried through a new period: ${again[0]!.attempts} attempts`);

      receiver.mode = 'ok';
      assert.deepEqual(await cli('webhooks', 'retry', setup.app.appId), { requeued: 2 });
      await eventually(async () => (receiver.events().length >= 2 ? true : undefined), 'both events', 20_000);
      assert.deepEqual(receiver.events().map((e) => e.data.id), ['f-1', 'f-2']);
      assert.deepEqual(await cli('webhooks', 'failed', setup.app.appId), []);
      assert.equal(await endpointState(), 'active');
    } finally {
      await stopNode();
    }
  });

  test('paused: an endpoint failing without a success pauses, sends nothing more, and retry resumes it in order', { timeout: 60_000 }, async () => {
    await startNode(3600, 1);
    try {
      receiver.mode = 'fail';
      await deliver(['q-1']);
      await eventually(async () => ((await endpointState()) === 'paused' ? true : undefined), 'the endpoint paused', 20_000);
      receiver.mode = 'ok';
      const attempts = receiver.refused;
      await deliver(['q-2']);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(receiver.refused, attempts, 'no attempt while paused');
      assert.equal(receiver.events().length, 2, 'nothing new arrived');
      // The pending gauge is refreshed from the store every few seconds, not per event.
      await eventually(async () => {
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        return /^sealpush_webhook_pending 2$/m.test(metrics) ? true : undefined;
      }, 'the pending gauge counting the two waiting events', 15_000);

      assert.deepEqual(await cli('webhooks', 'retry', setup.app.appId), { requeued: 0 });
      await eventually(async () => (receiver.events().length >= 4 ? true : undefined), 'the waiting events', 20_000);
      assert.deepEqual(receiver.events().slice(2).map((e) => e.data.id), ['q-1', 'q-2']);
      assert.equal(await endpointState(), 'active');
    } finally {
      await stopNode();
    }
  });
});
