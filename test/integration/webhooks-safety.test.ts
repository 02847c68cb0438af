// What a webhook may reach and how it is signed, on real `sealpush serve` processes and real
// HTTPS receivers: private and loopback targets refused at connect time (an IP literal, and a
// name that resolves to one) unless allowed; redirects never followed; a rotated secret signing
// alongside the new one for its overlap, and no longer after.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { exited, runCli, spawnServer, type ServerProcess } from '../helpers/process.js';
import { eventually, tempDir } from '../helpers/server.js';
import { WebhookReceiver, makeTestPki, type TestPki } from '../helpers/webhook-receiver.js';
import { ackOne, setUpWebhooks, type WebhookSetup } from '../helpers/webhook-node.js';

async function cliJson<T>(dataDir: string, env: Record<string, string>, args: string[]): Promise<T> {
  const result = await runCli(['--data', dataDir, ...args, '--json'], env);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as T;
}

describe('webhooks: private targets', () => {
  let pki: TestPki;
  let receiver: WebhookReceiver;
  let dataDir: string;
  let setup: WebhookSetup;
  let server: ServerProcess;

  before(async () => {
    pki = makeTestPki();
    receiver = new WebhookReceiver(pki);
    await receiver.start();
    dataDir = tempDir();
    // A name that resolves to 127.0.0.1 (checked on the address the connection gets), and the IP literal.
    const byName = receiver.url.replace('127.0.0.1', 'localhost');
    setup = await setUpWebhooks(dataDir, byName, {
      env: { NODE_EXTRA_CA_CERTS: pki.caFile },
      config: { webhooks: { pollMs: 50, retryPeriodSeconds: 1 } },
    });
    await cliJson(dataDir, setup.env, ['webhooks', 'add', setup.app.appId, '--url', receiver.url]);
    receiver.trust(setup.endpoint.secret);
    server = await spawnServer(dataDir, setup.env);
  });

  after(async () => {
    server.child.kill('SIGTERM');
    await exited(server.child);
    await receiver.stop();
    pki.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('loopback targets are refused before any connection, by name and by address, unless allowed', async () => {
    await ackOne(server, setup.app, 'private-1');
    const failed = await eventually(async () => {
      const list = await cliJson<{ endpointId: string; lastError: string }[]>(dataDir, setup.env, ['webhooks', 'failed', setup.app.appId]);
      return list.length === 2 ? list : undefined;
    }, 'both events failed', 20_000);
    assert.deepEqual(failed.map((f) => f.lastError), ['private-address', 'private-address']);
    assert.equal(receiver.connections, 0, 'not even a TCP connection was made');
    assert.equal(receiver.accepted.length, 0);
  });
});

describe('webhooks: redirects and secret rotation', () => {
  let pki: TestPki;
  let receiver: WebhookReceiver;
  let elsewhere: WebhookReceiver;
  let dataDir: string;
  let setup: WebhookSetup;
  let server: ServerProcess;

  before(async () => {
    pki = makeTestPki();
    receiver = new WebhookReceiver(pki);
    elsewhere = new WebhookReceiver(pki);
    await receiver.start();
    await elsewhere.start();
    dataDir = tempDir();
    setup = await setUpWebhooks(dataDir, receiver.url, {
      env: { NODE_EXTRA_CA_CERTS: pki.caFile, SEALPUSH_WEBHOOK_ALLOW_PRIVATE: '1' },
      config: { webhooks: { pollMs: 50, retryPeriodSeconds: 1 } },
    });
    receiver.trust(setup.endpoint.secret);
    elsewhere.trust(setup.endpoint.secret);
    server = await spawnServer(dataDir, setup.env);
  });

  after(async () => {
    server.child.kill('SIGTERM');
    await exited(server.child);
    await receiver.stop();
    await elsewhere.stop();
    pki.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a redirect is not followed: the event fails, and the other address never hears of it', async () => {
    receiver.mode = 'redirect';
    receiver.redirectTo = elsewhere.url;
    await ackOne(server, setup.app, 'redirected-1');
    const failed = await eventually(async () => {
      const list = await cliJson<{ lastError: string; event: { data: { id: string } } }[]>(dataDir, setup.env, ['webhooks', 'failed', setup.app.appId]);
      return list.length === 1 ? list : undefined;
    }, 'the event failed', 20_000);
    assert.equal(failed[0]!.lastError, 'redirect 302 (not followed)');
    assert.equal(failed[0]!.event.data.id, 'redirected-1');
    assert.ok(receiver.refused >= 1);
    assert.equal(elsewhere.connections, 0);
    // Sent again once the receiver answers: `webhooks retry`.
    receiver.mode = 'ok';
    assert.deepEqual(await cliJson(dataDir, setup.env, ['webhooks', 'retry', setup.app.appId]), { requeued: 1 });
    await eventually(async () => (receiver.events().some((e) => e.data.id === 'redirected-1') ? true : undefined), 'the retried event', 20_000);
    assert.deepEqual(await cliJson(dataDir, setup.env, ['webhooks', 'failed', setup.app.appId]), []);
  });

  test('a rotated secret signs alongside the new one during its overlap, and not after', async () => {
    const old = setup.endpoint.secret;
    const rotated = await cliJson<{ secret: string; previousSecretUntil: string }>(dataDir, setup.env, ['webhooks', 'rotate-secret', setup.endpoint.id, '--overlap-hours', '1']);
    assert.notEqual(rotated.secret, old);
    assert.ok(Date.parse(rotated.previousSecretUntil) > Date.now() + 3500_000);
    receiver.trust(old); // a receiver not yet updated still verifies
    await ackOne(server, setup.app, 'overlap-1');
    const during = await eventually(async () => receiver.accepted.find((r) => r.payload.data.id === 'overlap-1'), 'the event during the overlap', 20_000);
    assert.equal(during.signatures.length, 2, 'two signatures: the new secret and the old');
    const headers = { 'webhook-id': during.id, 'webhook-timestamp': String(during.timestamp), 'webhook-signature': during.signatures.join(' ') };
    assert.doesNotThrow(() => new Webhook(rotated.secret).verify(during.body, headers), 'the new secret verifies it too');

    const again = await cliJson<{ secret: string; previousSecretUntil: string | null }>(dataDir, setup.env, ['webhooks', 'rotate-secret', setup.endpoint.id, '--overlap-hours', '0']);
    assert.equal(again.previousSecretUntil, null);
    receiver.trust(again.secret);
    await ackOne(server, setup.app, 'after-1');
    const after = await eventually(async () => receiver.accepted.find((r) => r.payload.data.id === 'after-1'), 'the event under the newest secret', 20_000);
    assert.equal(after.signatures.length, 1, 'no overlap: one signature');
    const afterHeaders = { 'webhook-id': after.id, 'webhook-timestamp': String(after.timestamp), 'webhook-signature': after.signatures.join(' ') };
    assert.throws(() => new Webhook(rotated.secret).verify(after.body, afterHeaders), 'the secret it replaced no longer verifies');
    assert.throws(() => new Webhook(old).verify(after.body, afterHeaders), 'nor the one before');
  });
});
