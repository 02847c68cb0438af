// Slow and greedy peers on a real server (issue 13, item 5): a REST body or headers trickled a
// byte at a time are cut by the request and headers timeouts, an idle keep-alive connection is
// closed, the connection past maxHttpConnectionsPerIp from one address is dropped at once, and
// the WebSocket past maxConnectionsPerIp from one address is refused (503
// ERR_TOO_MANY_CONNECTIONS) while another address still connects; an upgraded WebSocket
// outlives every HTTP timeout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { RequestSigner } from '../../src/app/signing.js';
import { connect } from '../../src/client/node.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

/** A raw TCP connection to the server, with everything it received and whether the server ended it. */
interface RawPeer {
  readonly socket: Socket;
  received(): string;
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
}

function rawPeer(server: TestServer, localAddress = '127.0.0.1'): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port: server.port, localAddress });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

/**
 * Writes `text` one character every `everyMs` until it is all sent or the connection closes;
 * resolves with how many characters went out. The pace is the attack itself, not a wait.
 */
function trickle(peer: RawPeer, text: string, everyMs: number): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    const timer = setInterval(() => {
      if (peer.socket.destroyed || peer.socket.writableEnded || sent === text.length) {
        clearInterval(timer);
        resolve(sent);
        return;
      }
      peer.socket.write(text[sent]!);
      sent += 1;
    }, everyMs);
    void peer.closed.then(() => {
      clearInterval(timer);
      resolve(sent);
    });
  });
}

function errorCodeOf(response: string): string | undefined {
  const body = response.slice(response.indexOf('\r\n\r\n') + 4);
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

const healthz = 'GET /healthz HTTP/1.1\r\nHost: sealpush\r\n\r\n';

/** Asks for /healthz over `peer`: the answer's first bytes, or '' when the server closed the connection unanswered. */
function healthzOver(peer: RawPeer): Promise<string> {
  return new Promise((resolve) => {
    peer.socket.once('data', () => resolve(peer.received()));
    void peer.closed.then(() => resolve(peer.received()));
    peer.socket.write(healthz);
  });
}

describe('HTTP request timeouts', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      limits: { httpRequestTimeoutMs: 400, httpHeadersTimeoutMs: 300, httpKeepAliveTimeoutMs: 300, heartbeatMs: 100, idleTimeoutMs: 5000 },
    });
  });
  after(() => server.close());

  test('a body trickled a byte at a time is cut by httpRequestTimeoutMs: 400 ERR_BAD_REQUEST, then the connection closes', async () => {
    const peer = await rawPeer(server);
    const body = JSON.stringify({ to: 'c_x', data: 'x'.repeat(280) });
    // Signed, so that the header check passes and the server waits for the body.
    const signer = new RequestSigner(server.app.appId, server.app.secret);
    const authorization = await signer.authorization({ method: 'POST', pathWithQuery: '/v1/messages', body: new TextEncoder().encode(body) });
    peer.socket.write(
      `POST /v1/messages HTTP/1.1\r\nHost: sealpush\r\nAuthorization: ${authorization}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    // About 300 bytes at one per 20 ms would take 6 s: the 400 ms timeout must cut it long before.
    const sent = await trickle(peer, body, 20);
    await peer.closed;
    assert.ok(sent < body.length, `the server waited for the whole trickled body (${sent} bytes sent)`);
    assert.match(peer.received(), /^HTTP\/1\.1 400 /);
    assert.equal(errorCodeOf(peer.received()), 'ERR_BAD_REQUEST');
  });

  test('headers trickled a byte at a time are cut by httpHeadersTimeoutMs', async () => {
    const peer = await rawPeer(server);
    const headers = `GET /healthz HTTP/1.1\r\nHost: sealpush\r\n${'X-Pad: y\r\n'.repeat(30)}\r\n`;
    const sent = await trickle(peer, headers, 20);
    await peer.closed;
    assert.ok(sent < headers.length, `the server waited for the whole trickled headers (${sent} bytes sent)`);
    assert.equal(errorCodeOf(peer.received()), 'ERR_BAD_REQUEST');
  });

  test('an idle keep-alive connection is closed by the server after httpKeepAliveTimeoutMs', async () => {
    const peer = await rawPeer(server);
    peer.socket.write(healthz);
    await peer.closed; // by the server: the test never closes this connection itself
    assert.match(peer.received(), /^HTTP\/1\.1 200 /);
  });

  test('an upgraded WebSocket outlives every HTTP timeout (it is answered across many of them)', async () => {
    const client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, reconnect: false });
    let disconnected = false;
    client.on('disconnected', () => (disconnected = true));
    // A quiet connection gets a sealed HEARTBEAT every 100 ms (heartbeatMs): 20 of them span
    // 2 s, five times the longest HTTP timeout.
    await new Promise<void>((resolve) => {
      let frames = 0;
      client.on('frame', () => {
        frames += 1;
        if (frames === 20) resolve();
      });
      client.on('disconnected', () => resolve());
    });
    assert.equal(disconnected, false, 'the WebSocket was closed under an HTTP timeout');
    await client.close();
  });
});

describe('per-address connection caps', () => {
  let server: TestServer;
  let wsUrl: string;

  before(async () => {
    // The handshake's own timeout is long: a WebSocket here holds its slot until the test closes it.
    server = await startTestServer({ limits: { maxHttpConnectionsPerIp: 4, maxConnectionsPerIp: 2, handshakeBurstPerIp: 100 } });
    wsUrl = server.url.replace(/^http/, 'ws') + '/v1/ws';
  });
  after(() => server.close());

  test('the connection past maxHttpConnectionsPerIp from one address is dropped unanswered; a freed slot is taken again', async () => {
    const held = await Promise.all([rawPeer(server), rawPeer(server), rawPeer(server), rawPeer(server)]);
    /** A new connection from `localAddress` asks once and is closed again. */
    const ask = async (localAddress = '127.0.0.1'): Promise<string> => {
      const peer = await rawPeer(server, localAddress);
      const answer = await healthzOver(peer);
      peer.socket.destroy();
      await peer.closed;
      return answer;
    };
    assert.equal(await ask(), '', 'the connection past the cap got an answer');
    assert.match(await healthzOver(held[0]!), /^HTTP\/1\.1 200 /, 'the held ones are served');
    assert.match(await ask('127.0.0.2'), /^HTTP\/1\.1 200 /, 'another address is counted apart');
    // Closing one frees its slot, once the server has seen it close.
    held[3]!.socket.destroy();
    await eventually(async () => ((await ask()) === '' ? undefined : true), 'a freed slot');
    for (const peer of held) peer.socket.destroy();
    await Promise.all(held.map((peer) => peer.closed));
  });

  test('the WebSocket past maxConnectionsPerIp from one address gets 503 ERR_TOO_MANY_CONNECTIONS before any handshake; another address connects', async () => {
    const open = (localAddress: string): Promise<WebSocket> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(wsUrl, { localAddress });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    const first = [await open('127.0.0.1'), await open('127.0.0.1')];
    const refused = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { localAddress: '127.0.0.1' });
      ws.once('open', () => reject(new Error('the third WebSocket from one address was accepted')));
      ws.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], body }));
      });
      ws.once('error', () => undefined);
    });
    assert.equal(refused.status, 503);
    assert.ok(Number(refused.retryAfter) >= 1, 'Retry-After says when');
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'ERR_TOO_MANY_CONNECTIONS');

    const other = await open('127.0.0.2');
    // A closed one frees its slot (the server releases it as its socket closes, before its count drops).
    first[0]!.close();
    await eventually(async () => (server.connectionCount() === 2 ? true : undefined), 'the close seen by the server');
    const again = await open('127.0.0.1');
    for (const ws of [first[1]!, other, again]) ws.terminate();
  });
});

describe('per-address caps behind a trusted proxy', () => {
  let server: TestServer;
  let wsUrl: string;

  before(async () => {
    server = await startTestServer({ trustProxy: true, limits: { maxHttpConnectionsPerIp: 1, maxConnectionsPerIp: 1, handshakeBurstPerIp: 100 } });
    wsUrl = server.url.replace(/^http/, 'ws') + '/v1/ws';
  });
  after(() => server.close());

  test('WebSockets are counted per X-Forwarded-For client; the TCP cap does not count the proxy', async () => {
    const upgrade = (client: string): Promise<WebSocket | number> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(wsUrl, { headers: { 'x-forwarded-for': client } });
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        ws.once('error', reject);
      });
    // Every connection comes from 127.0.0.1, the "proxy": two clients behind it both connect.
    const a = await upgrade('203.0.113.1');
    const b = await upgrade('203.0.113.2');
    assert.ok(a instanceof WebSocket && b instanceof WebSocket, 'two clients behind one proxy address');
    assert.equal(await upgrade('203.0.113.1'), 503, "the first client's second connection is refused");
    for (const ws of [a, b]) ws.terminate();
  });
});
