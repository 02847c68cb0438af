import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { connect as webConnect } from '../../src/client/index.js';
import { connect as nodeConnect } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { parseConfig } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { createPayloadKeyring } from '../../src/crypto/node/at-rest.js';
import { nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';
import { loadOrCreateServerKey } from '../../src/domain/usecases/server-keys.js';
import { payloadAad } from '../../src/domain/usecases/payload-aad.js';
import { SEALED_TAG } from '../../src/domain/message-wrappers.js';
import { clientPool, collect, errorsOf } from '../helpers/messages.js';
import { captureLogs, eventually, startTestServer, type TestServer } from '../helpers/server.js';


/** The sealed payloads of a client's pending rows, as the store returns them and opened at rest. */
async function pendingRows(server: TestServer, clientId: string): Promise<{ stored: Buffer[]; opened: string[] }> {
  const core = await openCore(parseConfig({ dataDir: server.dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
  try {
    const key = await loadOrCreateServerKey('payload', { ...core, generate: () => assert.fail('the payload key exists') });
    const client = await core.store.getClient(server.app.appId, clientId);
    assert.ok(client, 'the client exists');
    const cipher = createPayloadKeyring(key.secret).forClient(client);
    const rows = await core.store.pendingMessages(clientId, 0, 100, Date.now());
    return {
      stored: rows.map((row) => Buffer.from(row.payload)),
      opened: rows.map((row) => Buffer.from(cipher.open(row.payload, payloadAad(row.appId, clientId, row.id))).toString('utf8')),
    };
  } finally {
    await core.close();
  }
}

for (const [entry, connect] of [['WebCrypto entry', webConnect], ['node:crypto entry', nodeConnect]] as const) {
  describe(`relay-blind mode: sealpush stores and forwards only ciphertext (${entry})`, () => {
    let server: TestServer;
    let app: SealPushApp;
    const logs = captureLogs();
    const { client, closeAll } = clientPool(connect, () => server);

    before(async () => {
      server = await startTestServer({}, logs.logger);
      app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
    });
    after(async () => {
      await closeAll();
      await server.close();
    });

    test('the plaintext is nowhere in the database files, the logs or the stored rows; the client gets it', async () => {
      const marker = `blind-marker-${randomBytes(12).toString('hex')}`;
      const first = await client();
      const session = first.session();
      await first.close();

      // The key sealpush serves is the client's HPKE key: a second X25519 key, not its static key.
      const view = await app.client(session.clientId);
      const hpke = await nodeNoiseCrypto.keyPairFromPrivate(Buffer.from(session.hpkeKey!, 'base64url'));
      const staticKey = await nodeNoiseCrypto.keyPairFromPrivate(Buffer.from(session.staticKey, 'base64url'));
      assert.equal(view.hpkeKey, Buffer.from(hpke.publicKey).toString('base64url'));
      assert.notEqual(view.hpkeKey, Buffer.from(staticKey.publicKey).toString('base64url'));

      const accepted = await app.publish({ to: session.clientId, data: { marker, rows: [1, 2, 3] }, seal: true });
      await app.publishBatch([{ to: session.clientId, data: marker, seal: true }]);

      // The rows as the store holds them, and their payloads opened at rest: only the wrapper.
      const rows = await pendingRows(server, session.clientId);
      assert.equal(rows.opened.length, 2);
      for (const [i, text] of rows.opened.entries()) {
        assert.ok(!text.includes(marker), `marker in the at-rest-opened payload of row ${i}`);
        const wrapper = JSON.parse(text) as Record<string, unknown>;
        assert.deepEqual(Object.keys(wrapper), [SEALED_TAG, 'enc', 'ct']);
        assert.equal(rows.stored[i]!.indexOf(marker), -1);
      }

      for (const name of readdirSync(server.dataDir)) {
        const bytes = readFileSync(join(server.dataDir, name));
        assert.equal(bytes.indexOf(marker), -1, `marker found in ${name}`);
      }
      assert.ok(readdirSync(server.dataDir).some((name) => name.endsWith('-wal')), 'the WAL file was read too');
      assert.ok(logs.text().length > 0, 'the server logged at trace level');
      assert.ok(!logs.text().includes(marker), 'marker in the server logs');

      const back = await client({ session });
      const received = await collect(back, 2);
      assert.deepEqual(received.map((m) => m.data), [{ marker, rows: [1, 2, 3] }, marker]);
      assert.deepEqual(received.map((m) => [m.id, m.sealed, m.verified]), [[accepted.id, true, false], [received[1]!.id, true, false]]);
    });

    test("a message sealed to client A cannot be opened by B, nor by A as another message: refused, acked, the next goes on", async () => {
      const offline = await client();
      const aSession = offline.session();
      const aId = aSession.clientId;
      await offline.close();
      await app.publish({ to: aId, id: 'for-a-1', data: { secret: 'only for A' }, seal: true });
      // What a compromised sealpush could do: take A's wrapper out of its database and replay it.
      const [wrapperText] = (await pendingRows(server, aId)).opened;
      const wrapper = JSON.parse(wrapperText!) as unknown;

      const a = await client({ session: aSession });
      const b = await client();
      const aErrors = errorsOf(a);
      const bErrors = errorsOf(b);
      const aGot = collect(a, 2);
      const bGot = collect(b, 1);
      await app.publish({ to: b.clientId, id: 'for-a-1-to-b', data: wrapper });
      await app.publish({ to: aId, id: 'for-a-1-again', data: wrapper });
      await app.publish({ to: b.clientId, data: 'b after the refusal', seal: true });
      await app.publish({ to: aId, data: 'a after the refusal', seal: true });

      assert.deepEqual((await bGot).map((m) => m.data), ['b after the refusal']);
      assert.deepEqual((await aGot).map((m) => m.data), [{ secret: 'only for A' }, 'a after the refusal']);
      assert.deepEqual(bErrors.map((e) => e.code), ['ERR_SEALED_MESSAGE']);
      assert.deepEqual(aErrors.map((e) => e.code), ['ERR_SEALED_MESSAGE']);
      // Refused messages are consumed like any other: acked, never resent.
      for (const id of ['for-a-1-to-b', 'for-a-1-again']) {
        await eventually(async () => ((await app.status(id)).status === 'acked' ? true : undefined), `${id} acked`);
      }
    });

    test('a later connect with another HPKE key replaces the one sealpush serves; sealing follows it', async () => {
      const c = await client();
      const session = c.session();
      await c.close();
      const before = (await app.client(session.clientId)).hpkeKey;
      const other = await nodeNoiseCrypto.generateKeyPair();
      const moved = await client({ session: { ...session, hpkeKey: Buffer.from(other.privateKey).toString('base64url') } });
      assert.equal(moved.clientId, session.clientId);
      const after = (await app.client(session.clientId)).hpkeKey;
      assert.notEqual(after, before);
      assert.equal(after, Buffer.from(other.publicKey).toString('base64url'));
      // A fresh app (no cached key) seals to the new key, which the client holds.
      const fresh = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
      const got = collect(moved, 1);
      await fresh.publish({ to: session.clientId, data: 'to the new key', seal: true });
      assert.deepEqual((await got).map((m) => m.data), ['to the new key']);
    });

    test('sealing to a client that published no key, or to a malformed pinned key, fails in the app SDK', async () => {
      const c = await client();
      await assert.rejects(app.publish({ to: c.clientId, data: 1, seal: { hpkeKey: 'short' } }), { code: 'ERR_SEALED_MESSAGE' });
      await assert.rejects(app.publish({ to: 'c_nobody_here_at_all_000', data: 1, seal: true }), { code: 'ERR_NOT_FOUND' });
      // Pinned by the app: sealed to the key it holds, whatever sealpush would serve.
      const pinned = c.hpkePublicKey;
      assert.equal(pinned, (await app.client(c.clientId)).hpkeKey);
      const got = collect(c, 1);
      await app.publish({ to: c.clientId, data: 'pinned', seal: { hpkeKey: pinned } });
      assert.deepEqual((await got).map((m) => [m.data, m.sealed]), [['pinned', true]]);
    });
  });
}
