/**
 * What a client says when it cannot connect (the URL, the pinned key's fingerprint, what to
 * do), and how soon it comes back after an outage: within reconnect.maxDelayMs, or at once on
 * an `online` event.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { connect, serverKeyFingerprint, SealPushConnectionError, type SealPushClient } from '../../src/client/node.js';
import { parseConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { base64urlEncode } from '../../src/crypto/encoding.js';
import { once } from '../helpers/messages.js';
import { startTestServer, tempDir, createApp, type TestServer } from '../helpers/server.js';
import { WsProxy } from '../helpers/ws-proxy.js';

type Disconnected = { code: number; willReconnect: boolean; retryInMs?: number };

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('connection errors say where and what to do', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('a wrong pinned key: ERR_HANDSHAKE naming the URL, the pinned fingerprint and `sealpush keys show`', async () => {
    const wrongKey = base64urlEncode(randomBytes(32));
    const pinned = await serverKeyFingerprint(wrongKey);
    const err = await connect({ url: server.url, appId: server.app.appId, serverKey: wrongKey }).then(
      () => assert.fail('connected with a wrong key'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SealPushConnectionError, String(err));
    assert.equal(err.code, 'ERR_HANDSHAKE');
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/v1/ws`;
    assert.deepEqual([err.url, err.fingerprint], [wsUrl, pinned]);
    for (const part of [wsUrl, pinned, '`sealpush keys show`', '`sealpush serve`']) assert.ok(err.message.includes(part), `${part} in: ${err.message}`);
    assert.notEqual(pinned, await serverKeyFingerprint(server.identity.publicKey));
  });

  test('nothing listening: ERR_UNAVAILABLE naming the URL and asking whether `sealpush serve` runs there', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const err = await connect({ url, appId: server.app.appId, serverKey: server.identity.publicKey }).then(
      () => assert.fail('connected to a closed port'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SealPushConnectionError, String(err));
    assert.deepEqual([err.code, err.closeCode], ['ERR_UNAVAILABLE', 1006]);
    assert.ok(err.message.includes(`Nothing answered at ${url.replace('http', 'ws')}/v1/ws: is \`sealpush serve\` running there?`), err.message);
    assert.equal(err.fingerprint, await serverKeyFingerprint(server.identity.publicKey));
  });
});

describe('reconnecting after an outage', () => {
  test('server stopped, then started again on the same port: every wait stays within maxDelayMs and the client resumes', async () => {
    const dataDir = tempDir();
    const app = await createApp(dataDir, 'outage');
    const config = (port: number) => parseConfig({ logLevel: 'silent', durability: 'normal', dataDir, host: '127.0.0.1', port });
    const logger = pino({ level: 'silent' });
    let running: RunningServer = await startServer(config(0), logger);
    const port = running.port;
    const maxDelayMs = 200;
    const client: SealPushClient = await connect({ url: running.url, appId: app.appId, serverKey: running.identity.publicKey, reconnect: { minDelayMs: 10, maxDelayMs } });
    try {
      const waits: number[] = [];
      let failedAttempts = 0;
      const enoughFailures = new Promise<void>((resolve) => {
        client.on('disconnected', (d: Disconnected) => {
          if (d.willReconnect) waits.push(d.retryInMs!);
          if (d.code === 1006 && ++failedAttempts === 8) resolve(); // long enough for an uncapped backoff to pass 200 ms
        });
      });
      await running.stop();
      await enoughFailures;
      const back = once<{ clientId: string; resumed: boolean }>((l) => client.on('connected', l));
      running = await startServer(config(port), logger);
      const connected = await back;
      assert.ok(waits.length >= 9, `one wait per close: ${waits.length}`);
      assert.deepEqual(connected, { clientId: client.clientId, resumed: true });
      assert.ok(waits.every((w) => w > 0 && w <= maxDelayMs), `waits within the cap: ${waits.map(Math.round).join(', ')}`);
    } finally {
      await client.close();
      await running.stop();
    }
  });

  test("an 'online' event makes a client that waits for its next attempt reconnect at once", async () => {
    const server = await startTestServer();
    const proxy = await WsProxy.start(server.url, {});
    const window = new EventTarget();
    // A minute between attempts: only the 'online' event can bring it back within the test.
    const client = await connect({
      url: proxy.url,
      appId: server.app.appId,
      serverKey: server.identity.publicKey,
      reconnect: { minDelayMs: 120_000, maxDelayMs: 120_000 },
      wakeSignals: { online: window },
    });
    try {
      const dropped = once<Disconnected>((l) => client.on('disconnected', l));
      proxy.forgeClose(4000, 'network change');
      const { willReconnect, retryInMs } = await dropped;
      assert.equal(willReconnect, true);
      assert.ok(retryInMs! >= 60_000, `the backoff alone would wait ${retryInMs} ms`);
      const back = once<{ resumed: boolean }>((l) => client.on('connected', l));
      window.dispatchEvent(new Event('online'));
      assert.equal((await back).resumed, true);
    } finally {
      await client.close();
      await proxy.close();
      await server.close();
    }
  });
});
