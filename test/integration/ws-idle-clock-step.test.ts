// A node whose wall clock steps forward (NTP) keeps its WebSocket connections: idleTimeoutMs
// counts elapsed time, not the wall clock. It used Date.now, so a step forward of more than
// idleTimeoutMs closed every connection at the next heartbeat with ERR_IDLE_TIMEOUT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { SteppedClock } from '../../chaos/clock-steps/clock.js';
import { createApps } from '../../chaos/clock-steps/setup.js';
import { ChaosNode } from '../../chaos/lib/node.js';
import { collect } from '../helpers/messages.js';
import { eventually, tempDir } from '../helpers/server.js';

test('a step of the wall clock forward by an hour closes no connection as idle', { timeout: 60_000 }, async () => {
  const dataDir = tempDir();
  const clock = new SteppedClock(join(dataDir, 'clock-offset'));
  const { env, apps } = await createApps(dataDir, ['idle'], { config: { limits: { heartbeatMs: 100, idleTimeoutMs: 2000 } } });
  const app = apps[0]!;
  const node = await ChaosNode.start(dataDir, { ...env, ...clock.env() });
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
