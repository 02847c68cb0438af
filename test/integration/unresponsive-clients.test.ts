// A client the node gives up on (it answers no ping, or it does not read what it is sent) will
// not answer the close either: the node must free its connection soon after closing it, not
// hold the socket (and whatever is buffered for it) through ws's 30 s wait for the peer's
// close frame. Found by the clients chaos scenario (docs/reliability.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { SealPushApp } from '../../src/app/index.js';
import { encodeConfirm } from '../../src/crypto/frames.js';
import { FrameSealer } from '../../src/crypto/node/frame-cipher.js';
import { captureLogs, eventually, startTestServer, type TestServer } from '../helpers/server.js';
import { helloTo } from '../helpers/hello.js';

/** ws waits this long for the peer's close frame before it destroys the socket. */
const WS_CLOSE_TIMEOUT_MS = 30_000;

/** A raw client that completes the handshake, then stops reading its socket altogether. */
async function frozenClient(server: TestServer): Promise<{ clientId: string; ws: WebSocket }> {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/v1/ws`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.on('error', () => undefined);
  const hello = await helloTo(server);
  const reply = new Promise<Buffer>((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
  ws.send(hello.hello);
  const done = await hello.finish(new Uint8Array(await reply));
  const first = new Promise<void>((resolve) => ws.once('message', () => resolve()));
  ws.send(new FrameSealer(done.sendKey).seal(encodeConfirm()));
  await first; // the server's HEARTBEAT: the session is open
  ws.pause();
  return { clientId: done.payload.clientId, ws };
}

/** Waits for the node to hold no connection; resolves with how long that took. */
async function freedWithin(server: TestServer, since: number): Promise<number> {
  await eventually(async () => (server.connectionCount() === 0 ? true : undefined), 'the connection to be freed', WS_CLOSE_TIMEOUT_MS + 10_000);
  return Date.now() - since;
}

describe('clients that stop answering', () => {
  let idle: TestServer;
  let slow: TestServer;
  const idleLogs = captureLogs('debug');
  const slowLogs = captureLogs('debug');

  before(async () => {
    idle = await startTestServer({ limits: { heartbeatMs: 200, idleTimeoutMs: 600 } }, idleLogs.logger);
    slow = await startTestServer({ limits: { heartbeatMs: 60_000, idleTimeoutMs: 120_000, sendHighWaterBytes: 16_384, slowConsumerTimeoutMs: 300 } }, slowLogs.logger);
  });
  after(async () => {
    await idle.close();
    await slow.close();
  });

  test('one that neither reads nor answers pings is closed with ERR_IDLE_TIMEOUT and freed well before the close handshake would time out', async () => {
    const { ws } = await frozenClient(idle);
    const frozenAt = Date.now();
    const took = await freedWithin(idle, frozenAt);
    assert.match(idleLogs.text(), /"code":"ERR_IDLE_TIMEOUT".*"closing connection"/);
    assert.ok(took < WS_CLOSE_TIMEOUT_MS / 2, `freed after ${took} ms`);
    ws.terminate();
  });

  test('one that stops reading while messages arrive is closed with ERR_SLOW_CONSUMER and freed as soon', async () => {
    const { clientId, ws } = await frozenClient(slow);
    const publisher = new SealPushApp({ url: slow.url, appId: slow.app.appId, secret: slow.app.secret });
    const pad = 'x'.repeat(60_000);
    const floodedAt = Date.now();
    // Far more than the loopback socket buffers hold, so that the node's own buffer passes its high-water mark.
    for (let i = 0; i < 16; i++) await publisher.publishBatch(Array.from({ length: 16 }, (_, n) => ({ to: clientId, data: { i, n, pad } })));
    const took = await freedWithin(slow, floodedAt);
    assert.match(slowLogs.text(), /"code":"ERR_SLOW_CONSUMER".*"closing connection"/);
    assert.ok(took < WS_CLOSE_TIMEOUT_MS / 2, `freed after ${took} ms`);
    ws.terminate();
  });
});
