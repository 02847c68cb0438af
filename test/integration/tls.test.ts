// TLS: with a certificate the server speaks only https and wss; without one it binds
// loopback addresses only, unless --allow-insecure says a TLS proxy is in front.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { connect } from '../../src/client/node.js';
import type { SocketConstructor } from '../../src/client/socket.js';
import { SealPushApp } from '../../src/app/index.js';
import { ConfigError, parseConfig } from '../../src/config.js';
import { isLoopbackHost, startServer } from '../../src/server.js';
import { collect } from '../helpers/messages.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import pino from 'pino';

/** A fetch over node:https that trusts `ca`: what an app does with its own CA bundle. */
function fetchTrusting(ca: Buffer): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const body = init?.body === undefined || init.body === null ? undefined : Buffer.from(init.body as string);
    return new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(url, { method: init?.method ?? 'GET', headers: init?.headers as Record<string, string>, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers: res.headers as Record<string, string> })));
      });
      req.on('error', reject);
      if (body) req.write(body);
      req.end();
    });
  }) as typeof fetch;
}

describe('TLS', () => {
  const dir = tempDir('sealpush-tls-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  let server: TestServer;
  let ca: Buffer;

  before(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    ca = readFileSync(cert);
    server = await startTestServer({ tlsCert: cert, tlsKey: key });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves https and wss: a client connects over wss and gets what the app publishes over https', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const TrustingSocket = class extends WebSocket {
      constructor(url: string) {
        super(url, { ca });
      }
    } as unknown as SocketConstructor;
    const client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, WebSocket: TrustingSocket });
    try {
      const app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret, fetch: fetchTrusting(ca) });
      const arriving = collect(client, 1);
      await app.publish({ to: client.clientId, data: { over: 'tls' } });
      assert.deepEqual((await arriving).map((m) => m.data), [{ over: 'tls' }]);
    } finally {
      await client.close();
    }
  });

  test('plain HTTP to the TLS port gets no answer of the API', async () => {
    const { port } = new URL(server.url);
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/healthz' }, (res) => resolve(`status ${res.statusCode}`));
      req.on('error', (err) => resolve(`error ${err.message}`));
      req.end();
    });
    assert.doesNotMatch(outcome, /status 200/);
  });

  test('without TLS a non-loopback address is refused unless --allow-insecure; a half TLS config is refused', async () => {
    assert.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('::1') && isLoopbackHost('localhost'));
    assert.ok(!isLoopbackHost('0.0.0.0') && !isLoopbackHost('::') && !isLoopbackHost('192.0.2.1'));
    const dataDir = tempDir();
    try {
      const config = parseConfig({ dataDir, host: '0.0.0.0', port: 0, logLevel: 'silent' });
      await assert.rejects(startServer(config, pino({ level: 'silent' })), (err: unknown) => err instanceof ConfigError && /--tls-cert/.test(err.message));
      const allowed = await startServer(parseConfig({ dataDir, host: '0.0.0.0', port: 0, logLevel: 'silent', allowInsecure: true }), pino({ level: 'silent' }));
      try {
        const health = await fetch(`http://127.0.0.1:${allowed.port}/healthz`);
        assert.equal(health.status, 200, '--allow-insecure serves plain HTTP on any address');
      } finally {
        await allowed.stop();
      }
      assert.throws(() => parseConfig({ dataDir, tlsCert: cert }), (err: unknown) => err instanceof ConfigError && /tlsCert, tlsKey/.test(err.message));
      const missing = parseConfig({ dataDir, port: 0, logLevel: 'silent', tlsCert: join(dir, 'nope.pem'), tlsKey: key });
      await assert.rejects(startServer(missing, pino({ level: 'silent' })), (err: unknown) => err instanceof ConfigError && /nope\.pem/.test(err.message));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
