// What measures a duration on a node measures elapsed time, so that a step of its wall clock
// (NTP) does not change it: idleTimeoutMs (it used Date.now, so a step forward past it closed
// every connection at the next heartbeat with ERR_IDLE_TIMEOUT), and how long an address that
// failed authentication too often is refused (it used the wall clock, so a step back just after
// a refusal refused every request from that address for the size of the step).
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from '../../src/client/node.js';
import { SealPushApp, isSealPushError } from '../../src/app/index.js';
import { startSteppedNode } from '../../chaos/clock-steps/setup.js';
import { collect } from '../helpers/messages.js';
import { eventually, tempDir } from '../helpers/server.js';

test('a step of the wall clock forward by an hour closes no connection as idle', { timeout: 60_000 }, async () => {
  const dataDir = tempDir();
  const { clock, node, apps } = await startSteppedNode(dataDir, ['idle'], { config: { limits: { heartbeatMs: 100, idleTimeoutMs: 2000 } } });
  const app = apps[0]!;
  const client = await connect({ url: node.url, appId: app.appId, serverKey: node.serverKey, reconnect: { minDelayMs: 50, maxDelayMs: 200 } });
  try {
    let connections = 1;
    let frames = 0;
    client.on('connected', () => connections++);
    client.on('frame', () => frames++);
    await eventually(async () => (frames >= 3 ? true : undefined), 'heartbeats before the step');
    await clock.step(3_600_000, node.pid!);
    const after = frames;
    await eventually(async () => (frames >= after + 10 ? true : undefined), 'ten heartbeats after the step');
    assert.equal(connections, 1, 'the connection stayed open through the step');
    const publisher = new SealPushApp({ url: node.url, appId: app.appId, secret: app.secret, fetch: clock.signingFetch(app.appId, app.secret) });
    const arriving = collect(client, 1);
    await publisher.publish({ to: client.clientId, data: { after: 'step' } });
    assert.equal((await arriving).length, 1);
    assert.equal(connections, 1);
  } finally {
    await client.close();
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a step of the wall clock back by an hour does not stretch the refusal of an address that failed authentication', { timeout: 60_000 }, async () => {
  const dataDir = tempDir();
  const { clock, node, apps } = await startSteppedNode(dataDir, ['refused'], { config: { limits: { failedAuthsPerSecondPerIp: 1, failedAuthBurstPerIp: 2 } } });
  const app = apps[0]!;
  const codeOf = (request: Promise<unknown>): Promise<string> => request.then(() => 'ok', (err: unknown) => (isSealPushError(err) ? err.code : String(err)));
  try {
    const wrong = new SealPushApp({ url: node.url, appId: app.appId, secret: randomBytes(32).toString('base64url'), retry: false });
    await eventually(async () => ((await codeOf(wrong.status('m'))) === 'ERR_RATE_LIMITED' ? true : undefined), 'failures refused');
    await clock.step(-3_600_000, node.pid!);
    const right = new SealPushApp({ url: node.url, appId: app.appId, secret: app.secret, retry: false, fetch: clock.signingFetch(app.appId, app.secret) });
    assert.equal(await eventually(async () => {
      const code = await codeOf(right.status('m'));
      return code === 'ERR_RATE_LIMITED' ? undefined : code;
    }, 'the address accepted again within seconds', 20_000), 'ERR_NOT_FOUND');
  } finally {
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
