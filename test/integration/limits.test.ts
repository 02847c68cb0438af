// Rate limits on a real server: publishes per second per app (429 ERR_RATE_LIMITED with
// Retry-After, nothing accepted) and WebSocket upgrades per second per address (429).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { connect } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { RequestSigner } from '../../src/app/signing.js';
import { collect } from '../helpers/messages.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

describe('rate limits', () => {
  let server: TestServer;
  let app: SealPushApp;

  before(async () => {
    // One publish a second: the bucket refills only after a full second, so a busy machine
    // (the suite runs two files at once) does not refill it between the steps below.
    server = await startTestServer({ limits: { publishesPerSecondPerApp: 1, handshakesPerSecondPerIp: 3 } });
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(() => server.close());

  test('past its messages per second an app gets 429 ERR_RATE_LIMITED with Retry-After, and nothing of that request is accepted', async () => {
    const client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    try {
      const accepted = await app.publishBatch([{ to: client.clientId, data: 0, id: 'ok-0' }]);
      assert.deepEqual(accepted.map((r) => ('status' in r ? r.status : r)), ['queued']);
      await assert.rejects(app.publish({ to: client.clientId, data: 'one too many', id: 'refused-1' }), { code: 'ERR_RATE_LIMITED' });
      await assert.rejects(app.status('refused-1'), { code: 'ERR_NOT_FOUND' }, 'the refused message was not stored');
      const raw = await signedPost(server, '/v1/messages', { to: client.clientId, data: 1, id: 'refused-2' });
      assert.equal(raw.status, 429);
      assert.ok(Number(raw.headers.get('retry-after')) >= 1, 'Retry-After says when');
      assert.equal(((await raw.json()) as { error: { code: string } }).error.code, 'ERR_RATE_LIMITED');
      await assert.rejects(app.publishBatch(Array.from({ length: 2 }, (_, i) => ({ to: client.clientId, data: i }))), { code: 'ERR_TOO_LARGE' }, 'a batch above the limit can never pass');
    } finally {
      await client.close();
    }
  });

  test('past its upgrades per second an address gets 429 before any handshake work', async () => {
    const wsUrl = server.url.replace(/^http/, 'ws') + '/v1/ws';
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(wsUrl);
          ws.once('open', () => {
            resolve('open');
            ws.terminate();
          });
          ws.once('unexpected-response', (_req, res) => resolve(`http ${res.statusCode} retry-after ${res.headers['retry-after']}`));
          ws.once('error', () => undefined);
        }),
      ),
    );
    // The first test's client used one of the three; at least two more open, the rest are refused.
    assert.ok(outcomes.filter((o) => o === 'open').length <= 3, outcomes.join(', '));
    assert.ok(outcomes.some((o) => /^http 429 retry-after \d+$/.test(o)), outcomes.join(', '));
  });
});

describe('max pending messages per client', () => {
  let server: TestServer;
  let app: SealPushApp;

  before(async () => {
    server = await startTestServer({ limits: { maxPendingPerClient: 3 } });
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(() => server.close());

  test('past it a publish is refused with 409 ERR_CLIENT_FULL and nothing is dropped; room comes back once the client acks', async () => {
    const first = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    const session = first.session();
    await first.close();
    for (const n of [1, 2, 3]) await app.publish({ to: session.clientId, data: n, id: `p-${n}` });
    await assert.rejects(app.publish({ to: session.clientId, data: 4, id: 'p-4' }), { code: 'ERR_CLIENT_FULL' });
    const batch = await app.publishBatch([{ to: session.clientId, data: 5, id: 'p-5' }, { to: session.clientId, data: 1, id: 'p-1' }]);
    assert.deepEqual(batch.map((r) => ('error' in r ? r.error.code : r.status)), ['ERR_CLIENT_FULL', 'queued'], 'a retry of a stored message still answers with it');
    await assert.rejects(app.status('p-4'), { code: 'ERR_NOT_FOUND' });
    assert.equal((await app.client(session.clientId)).pending, 3);

    const back = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, session });
    try {
      const received = await collect(back, 3);
      assert.deepEqual(received.map((m) => m.data), [1, 2, 3], 'everything accepted arrives');
      await eventually(async () => ((await app.status('p-3')).status === 'acked' ? true : undefined), 'the acks');
      assert.equal((await app.publish({ to: session.clientId, data: 6, id: 'p-6' })).status, 'queued');
    } finally {
      await back.close();
    }
  });
});

async function signedPost(server: TestServer, path: string, body: unknown): Promise<Response> {
  const text = JSON.stringify(body);
  const signer = new RequestSigner(server.app.appId, server.app.secret);
  const authorization = await signer.authorization({ method: 'POST', pathWithQuery: path, body: new TextEncoder().encode(text) });
  return fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: text });
}
