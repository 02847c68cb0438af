// maxHandshakesInProgress (docs/configuration.md): past it a WebSocket upgrade is answered HTTP
// 503 ERR_UNAVAILABLE with Retry-After before any handshake work, and a handshake that completes
// or a connection that closes gives its place back. Found by the clients chaos scenario's
// reconnect storm: a node that started every handshake offered finished few and timed out the
// rest (docs/reliability.md, clients).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { encodeConfirm } from '../../src/crypto/frames.js';
import { FrameSealer } from '../../src/crypto/node/frame-cipher.js';
import { helloTo } from '../helpers/hello.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

interface Refusal {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly code: string;
}

/** Opens a WebSocket: the socket once open, or how its upgrade was refused. */
function upgrade(url: string): Promise<WebSocket | Refusal> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.once('end', () => {
        const code = (JSON.parse(body) as { error: { code: string } }).error.code;
        resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], code });
      });
    });
    ws.once('error', (err) => (ws.readyState === WebSocket.CONNECTING ? undefined : reject(err)));
  });
}

function opened(result: WebSocket | Refusal): WebSocket {
  assert.ok(result instanceof WebSocket, `refused: ${JSON.stringify(result)}`);
  return result;
}

/** Runs the handshake on `ws` to the end (hello, reply, CONFIRM) and waits for the server's heartbeat. */
async function completeHandshake(server: TestServer, ws: WebSocket): Promise<void> {
  const hello = await helloTo(server);
  const reply = new Promise<Buffer>((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
  ws.send(hello.hello);
  const done = await hello.finish(new Uint8Array(await reply));
  const confirmed = new Promise<void>((resolve) => ws.once('message', () => resolve()));
  ws.send(new FrameSealer(done.sendKey).seal(encodeConfirm()));
  await confirmed;
}

describe('handshakes in progress (maxHandshakesInProgress)', () => {
  let server: TestServer;
  let wsUrl: string;

  before(async () => {
    // A long handshake timeout: a socket that sends no hello holds its place until it closes.
    server = await startTestServer({ limits: { maxHandshakesInProgress: 2, handshakeTimeoutMs: 60_000 } });
    wsUrl = server.url.replace(/^http/, 'ws') + '/v1/ws';
  });
  after(() => server.close());

  test('past the bound an upgrade gets 503 ERR_UNAVAILABLE with Retry-After; a completed handshake and a close each give a place back', async () => {
    const first = opened(await upgrade(wsUrl));
    const second = opened(await upgrade(wsUrl));
    const refused = await upgrade(wsUrl);
    assert.ok(!(refused instanceof WebSocket), 'the third handshake at once was let in');
    assert.deepEqual(refused, { status: 503, retryAfter: '1', code: 'ERR_UNAVAILABLE' });

    // The first completes its handshake: an open connection holds no handshake place.
    await completeHandshake(server, first);
    const third = opened(await upgrade(wsUrl));
    assert.ok(!(await upgrade(wsUrl) instanceof WebSocket), 'still two in their handshake');

    // One in its handshake closes: its place is free once the server has seen the close.
    second.close();
    const fourth = opened(await eventually(async () => {
      const result = await upgrade(wsUrl);
      return result instanceof WebSocket ? result : undefined;
    }, 'a place given back by a close'));
    for (const ws of [first, third, fourth]) ws.terminate();
  });
});
