// The WebSocket gateway's named limits on a real server, each refused with its catalogue
// close code: a client that never finishes the handshake (slowloris), one that finishes it and
// then answers no ping, a message above maxClientMessageBytes, and connections past
// maxConnections.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { encodeConfirm } from '../../src/crypto/frames.js';
import { FrameSealer } from '../../src/crypto/node/frame-cipher.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { helloTo } from '../helpers/hello.js';

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string; at: number }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })));
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

describe('WebSocket limits', () => {
  let server: TestServer;
  let wsUrl: string;

  before(async () => {
    server = await startTestServer({
      limits: { handshakeTimeoutMs: 300, maxClientMessageBytes: 1024, maxConnections: 3, heartbeatMs: 100, idleTimeoutMs: 400 },
    });
    wsUrl = server.url.replace(/^http/, 'ws') + '/v1/ws';
  });
  after(() => server.close());

  test('a client that opens the socket and never sends its hello is closed with ERR_HANDSHAKE_TIMEOUT (4101)', async () => {
    const ws = new WebSocket(wsUrl);
    await opened(ws);
    const start = Date.now();
    const closed = await closeOf(ws);
    assert.deepEqual([closed.code, closed.reason], [4101, 'ERR_HANDSHAKE_TIMEOUT']);
    assert.ok(closed.at - start >= 250, 'not before handshakeTimeoutMs');
  });

  test('a client that completes the handshake and then answers no ping is closed with ERR_IDLE_TIMEOUT (4102) after idleTimeoutMs', async () => {
    const ws = new WebSocket(wsUrl, { autoPong: false });
    await opened(ws);
    const hello = await helloTo(server);
    const reply = new Promise<Buffer>((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
    ws.send(hello.hello);
    const done = await hello.finish(new Uint8Array(await reply));
    ws.send(new FrameSealer(done.sendKey).seal(encodeConfirm()));
    const established = Date.now();
    const closed = await closeOf(ws);
    assert.deepEqual([closed.code, closed.reason], [4102, 'ERR_IDLE_TIMEOUT']);
    assert.ok(closed.at - established >= 350, `not before idleTimeoutMs (${closed.at - established} ms)`);
  });

  test('a message above maxClientMessageBytes closes the connection with 1009 before it is read', async () => {
    const ws = new WebSocket(wsUrl);
    await opened(ws);
    const closing = closeOf(ws);
    ws.send(new Uint8Array(2048));
    const closed = await closing;
    assert.equal(closed.code, 1009);
  });

  // Found by the fuzzer (chaos/fuzz): ws checked a text message's UTF-8 before the gateway saw
  // it, and closed with 1007, a code outside the catalogue.
  test('a text message, valid UTF-8 or not, before or after the handshake, is refused with ERR_PROTOCOL (4501), never 1007', async () => {
    const textAfterHello = async (bytes: Uint8Array, handshake: boolean): Promise<{ code: number; reason: string }> => {
      const ws = new WebSocket(wsUrl);
      await opened(ws);
      if (handshake) {
        const hello = await helloTo(server);
        const reply = new Promise<Buffer>((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
        ws.send(hello.hello);
        const done = await hello.finish(new Uint8Array(await reply));
        ws.send(new FrameSealer(done.sendKey).seal(encodeConfirm()));
      }
      const closing = closeOf(ws);
      ws.send(bytes, { binary: false });
      const closed = await closing;
      return { code: closed.code, reason: closed.reason.split(' ')[0]! };
    };
    for (const handshake of [false, true]) {
      for (const bytes of [Uint8Array.of(0xc3, 0x28), Uint8Array.of(0xff), new TextEncoder().encode('hello')]) {
        assert.deepEqual(await textAfterHello(bytes, handshake), { code: 4501, reason: 'ERR_PROTOCOL' }, `${Buffer.from(bytes).toString('hex')} handshake ${handshake}`);
      }
    }
  });

  test('connections past maxConnections are closed with ERR_TOO_MANY_CONNECTIONS (4104); the others stay', async () => {
    const sockets = Array.from({ length: 4 }, () => new WebSocket(wsUrl));
    const closes = sockets.map((ws) => closeOf(ws));
    const first = await Promise.race(closes.map((p, i) => p.then((c) => ({ ...c, i }))));
    assert.deepEqual([first.code, first.reason], [4104, 'ERR_TOO_MANY_CONNECTIONS']);
    for (const [i, ws] of sockets.entries()) if (i !== first.i) ws.terminate();
    await Promise.all(closes);
  });
});
