import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { collect } from '../helpers/messages.js';
import { captureLogs, eventually, startTestServer, type TestServer } from '../helpers/server.js';

describe('what sealpush keeps: nothing in the clear, nothing past its TTL', () => {
  let server: TestServer;
  let app: SealPushApp;
  const captured = captureLogs();

  before(async () => {
    server = await startTestServer({}, captured.logger);
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(() => server.close());

  test('payloads, app secrets and keys appear neither in the data directory nor in the logs', async () => {
    const marker = `top-secret-${randomBytes(12).toString('hex')}`;
    const c = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    const session = c.session();
    await c.close();
    const { id } = await app.publish({ to: session.clientId, data: { marker } });
    await app.publishBatch([{ to: session.clientId, data: marker }]);
    await app.status(id);

    const secretBytes = Buffer.from(server.app.secret, 'base64url');
    const clientPrivate = Buffer.from(session.staticKey, 'base64url');
    const needles: [string, Buffer][] = [
      ['payload', Buffer.from(marker)],
      ['app secret (text)', Buffer.from(server.app.secret)],
      ['app secret (bytes)', secretBytes],
      ['client private key', clientPrivate],
    ];
    const files = readdirSync(server.dataDir).map((name) => join(server.dataDir, name));
    assert.ok(files.some((f) => f.endsWith('sealpush.db')));
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const [what, needle] of needles) assert.equal(bytes.indexOf(needle), -1, `${what} found in ${file}`);
    }
    const logs = captured.text();
    assert.ok(logs.length > 0, 'the server logged at trace level');
    for (const [what, needle] of needles) assert.ok(!logs.includes(needle.toString('utf8')) && !logs.includes(needle.toString('base64url')), `${what} in logs`);
    assert.ok(!/SEALPUSH-HMAC-SHA256 app=/.test(logs), 'Authorization headers are not logged');

    // The message itself is intact: the client still gets it.
    const back = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, session });
    const received = await collect(back, 2);
    assert.deepEqual(received.map((m) => m.data), [{ marker }, marker]);
    await back.close();
  });

  test('a message past its TTL is expired and never delivered', async () => {
    const c = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    const session = c.session();
    await c.close();
    const { id } = await app.publish({ to: session.clientId, data: 'too late', ttl: 1 });
    // Waiting for the TTL to pass is the behaviour under test.
    const expired = await eventually(async () => {
      const s = await app.status(id);
      return s.status === 'expired' ? s : undefined;
    }, 'expiry', 10_000);
    assert.equal(expired.deliveredAt, null);
    assert.equal((await app.client(session.clientId)).pending, 0);

    const back = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, session });
    const received = collect(back, 1);
    await app.publish({ to: session.clientId, data: 'in time' });
    assert.deepEqual((await received).map((m) => m.data), ['in time']);
    assert.equal((await app.status(id)).status, 'expired');
    await back.close();
  });
});
