// Close codes are not authenticated: a proxy on the path can forge any (docs/protocol.md
// section 4). The SDK stops for good only on a permanent code the server authenticated (the
// close reason's token, or a refusal in handshake message 2); a forged one is transient.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type SealPushClient } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { collect, errorsOf, once } from '../helpers/messages.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WsProxy } from '../helpers/ws-proxy.js';

type Disconnected = { code: number; reason: string; willReconnect: boolean; retryInMs?: number };

describe('close codes: only an authenticated one stops the SDK', () => {
  let server: TestServer;
  let app: SealPushApp;
  let proxy: WsProxy;
  const clients: SealPushClient[] = [];

  before(async () => {
    server = await startTestServer();
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
    proxy = await WsProxy.start(server.url, {});
  });
  after(async () => {
    for (const client of clients) await client.close();
    await proxy.close();
    await server.close();
  });

  async function sdk(options: Partial<Parameters<typeof connect>[0]> = {}): Promise<SealPushClient> {
    const client = await connect({ url: proxy.url, appId: server.app.appId, serverKey: server.identity.publicKey, reconnect: { minDelayMs: 10, maxDelayMs: 50 }, ...options });
    clients.push(client);
    return client;
  }

  test('forged 4506, 4508 and 4501 (with or without a made-up token) are transient: the SDK reconnects, says so, and gets every message', async () => {
    const client = await sdk();
    const errors = errorsOf(client);
    const received = collect(client, 5);
    const forgeries: [number, string][] = [
      [4506, 'ERR_SESSION_REPLACED'],
      [4508, 'ERR_CLIENT_FORGOTTEN'],
      [4501, 'ERR_PROTOCOL'],
      [4506, 'ERR_SESSION_REPLACED AAAAAAAAAAAAAAAAAAAAAA'],
    ];
    await app.publish({ to: client.clientId, data: 0 });
    for (const [n, [code, reason]] of forgeries.entries()) {
      const disconnected = once<Disconnected>((l) => client.on('disconnected', l));
      const reconnected = once((l) => client.on('connected', l));
      proxy.forgeClose(code, reason);
      const { retryInMs, ...closed } = await disconnected;
      assert.deepEqual(closed, { code, reason, willReconnect: true });
      assert.ok(retryInMs !== undefined && retryInMs <= 50, `the next attempt within maxDelayMs: ${retryInMs}`);
      await reconnected;
      await app.publish({ to: client.clientId, data: n + 1 });
    }
    assert.deepEqual((await received).map((m) => m.data), [0, 1, 2, 3, 4], 'every message, once, in order');
    assert.deepEqual(
      errors.map((e) => e.code),
      ['ERR_SESSION_REPLACED', 'ERR_CLIENT_FORGOTTEN', 'ERR_PROTOCOL', 'ERR_SESSION_REPLACED'],
      'each unauthenticated code is reported',
    );
    assert.match(errors[0]!.message, /without the server's authentication/);
  });

  test("a real ERR_SESSION_REPLACED, relayed by the proxy with the server's token, stops the SDK", async () => {
    const first = await sdk();
    const errors = errorsOf(first);
    const disconnected = once<Disconnected>((l) => first.on('disconnected', l));
    await sdk({ session: first.session(), url: server.url });
    const { code, reason, willReconnect } = await disconnected;
    assert.deepEqual([code, willReconnect], [4506, false]);
    assert.match(reason, /^ERR_SESSION_REPLACED [A-Za-z0-9_-]{22}$/, 'the reason carries the token');
    assert.deepEqual(errors.map((e) => e.code), ['ERR_SESSION_REPLACED']);
  });

  test('a real ERR_CLIENT_FORGOTTEN stops the SDK', async () => {
    const client = await sdk();
    const disconnected = once<Disconnected>((l) => client.on('disconnected', l));
    const errored = once<{ code: string }>((l) => client.on('error', l));
    await app.forgetClient(client.clientId);
    assert.deepEqual(await disconnected.then((d) => [d.code, d.willReconnect]), [4508, false]);
    assert.equal((await errored).code, 'ERR_CLIENT_FORGOTTEN');
  });

  test('an unknown app is refused inside handshake message 2 (authenticated): connect rejects with ERR_NOT_FOUND', async () => {
    await assert.rejects(sdk({ appId: 'no-such-app' }), { code: 'ERR_NOT_FOUND' });
  });
});
