import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import pino from 'pino';
import { connect as webConnect } from '../../src/client/index.js';
import { connect as nodeConnect } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { parseConfig } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { signedBytes, signedWrapper } from '../../src/domain/message-wrappers.js';
import { clientPool, collect, errorsOf } from '../helpers/messages.js';
import { runCli } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Ed25519 {
  readonly privateKey: KeyObject;
  /** base64url of the 32 raw public bytes, as clients pin it. */
  readonly raw: string;
  /** base64url of the 32-byte seed, as sealpush/app takes it. */
  readonly seed: string;
  readonly pem: string;
}

function ed25519(): Ed25519 {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'jwk' }).x!;
  const seed = privateKey.export({ format: 'jwk' }).d!;
  return { privateKey, raw, seed, pem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

/** A signed wrapper made by hand, as an attacker holding some key (or a replayed one) would. */
function signedBy(key: Ed25519, binding: { appId: string; clientId: string; messageId: string }, data: unknown): unknown {
  const payload = JSON.stringify(data);
  const sig = sign(null, signedBytes(binding, payload), key.privateKey).toString('base64url');
  return signedWrapper({ payload, sig });
}


for (const [entry, connect] of [['WebCrypto entry', webConnect], ['node:crypto entry', nodeConnect]] as const) {
  describe(`publisher signatures: a client with publisherKey takes only the publisher's messages (${entry})`, () => {
    let server: TestServer;
    /** No signing key registered on the server: only the clients check, as against a compromised sealpush. */
    let raw: SealPushApp;
    let signer: SealPushApp;
    const key = ed25519();
    const pool = clientPool(connect, () => server);
    const client = (publisherKey: string | JsonWebKey = key.raw) => pool.client({ publisherKey });

    before(async () => {
      server = await startTestServer();
      const credentials = { url: server.url, appId: server.app.appId, secret: server.app.secret };
      raw = new SealPushApp(credentials);
      signer = new SealPushApp({ ...credentials, signingKey: key.seed });
    });
    after(async () => {
      await pool.closeAll();
      await server.close();
    });

    test('signed messages are accepted (plain and sealed); unsigned, wrong key, altered, replayed ones are refused', async () => {
      const a = await client();
      const b = await client({ kty: 'OKP', crv: 'Ed25519', x: key.raw });
      const appId = server.app.appId;
      const aErrors = errorsOf(a);
      const bErrors = errorsOf(b);
      const aGot = collect(a, 3);
      const bGot = collect(b, 1);

      await signer.publish({ to: a.clientId, id: 'signed-1', data: { n: 1 } });
      await raw.publish({ to: a.clientId, data: { unsigned: true } });
      await raw.publish({ to: a.clientId, id: 'other-key', data: signedBy(ed25519(), { appId, clientId: a.clientId, messageId: 'other-key' }, 'forged') });
      const genuine = signedBy(key, { appId, clientId: a.clientId, messageId: 'altered' }, { amount: 10 }) as { payload: string };
      await raw.publish({ to: a.clientId, id: 'altered', data: { ...genuine, payload: JSON.stringify({ amount: 1000 }) } });
      // A genuine signature replayed: to another client, and to the same client as another message id.
      const forA = signedBy(key, { appId, clientId: a.clientId, messageId: 'replayed' }, 'pay once');
      await raw.publish({ to: b.clientId, id: 'replayed', data: forA });
      await raw.publish({ to: a.clientId, id: 'replayed-again', data: forA });
      // Not a wrapper at all, but a malformed imitation of one.
      await raw.publish({ to: a.clientId, data: { 'sealpush:sig': 1, payload: '"x"', sig: 'not-a-signature' } });
      await signer.publish({ to: a.clientId, data: 'sealed and signed', seal: true });
      await signer.publish({ to: a.clientId, data: 'signed, last' });
      await signer.publish({ to: b.clientId, data: 'for b' });

      const got = await aGot;
      assert.deepEqual(got.map((m) => [m.data, m.sealed, m.verified]), [
        [{ n: 1 }, false, true],
        ['sealed and signed', true, true],
        ['signed, last', false, true],
      ]);
      assert.equal(got[0]!.id, 'signed-1');
      assert.deepEqual(aErrors.map((e) => e.code), Array(5).fill('ERR_MESSAGE_SIGNATURE'));
      assert.deepEqual((await bGot).map((m) => m.data), ['for b']);
      assert.deepEqual(bErrors.map((e) => e.code), ['ERR_MESSAGE_SIGNATURE']);
    });

    test('a publisherKey that is not an Ed25519 public key is refused at connect', async () => {
      await assert.rejects(client('too-short'), { code: 'ERR_BAD_REQUEST' });
      await assert.rejects(client({ kty: 'OKP', crv: 'Ed25519', x: key.raw, d: key.seed }), { code: 'ERR_BAD_REQUEST' });
    });
  });
}

describe('publisher signatures checked by the server too, for an app with a registered key', () => {
  let server: TestServer;
  const key = ed25519();

  before(async () => {
    server = await startTestServer();
    const core = await openCore(parseConfig({ dataDir: server.dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
    try {
      await core.apps.setSigningKey(server.app.appId, Buffer.from(key.raw, 'base64url'));
    } finally {
      await core.close();
    }
  });
  after(() => server.close());

  test('unsigned, wrong-key and misaddressed messages get ERR_MESSAGE_SIGNATURE and nothing is stored; signed ones pass', async () => {
    const credentials = { url: server.url, appId: server.app.appId, secret: server.app.secret };
    const raw = new SealPushApp(credentials);
    const c = await nodeConnect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, publisherKey: key.raw });
    try {
      const appId = server.app.appId;
      await assert.rejects(raw.publish({ to: c.clientId, id: 'unsigned', data: 'x' }), { code: 'ERR_MESSAGE_SIGNATURE' });
      await assert.rejects(
        raw.publish({ to: c.clientId, id: 'wrong-key', data: signedBy(ed25519(), { appId, clientId: c.clientId, messageId: 'wrong-key' }, 'x') }),
        { code: 'ERR_MESSAGE_SIGNATURE' },
      );
      await assert.rejects(
        raw.publish({ to: c.clientId, id: 'misaddressed', data: signedBy(key, { appId, clientId: 'c_someone_else', messageId: 'misaddressed' }, 'x') }),
        { code: 'ERR_MESSAGE_SIGNATURE' },
      );
      await assert.rejects(
        raw.publish({ to: c.clientId, data: signedBy(key, { appId, clientId: c.clientId, messageId: 'no-id-sent' }, 'x') }),
        { code: 'ERR_MESSAGE_SIGNATURE' },
      );
      const [refused] = await raw.publishBatch([{ to: c.clientId, id: 'in-batch', data: 'x' }]);
      assert.equal((refused as { error: { code: string } }).error.code, 'ERR_MESSAGE_SIGNATURE');
      for (const id of ['unsigned', 'wrong-key', 'misaddressed', 'in-batch']) await assert.rejects(raw.status(id), { code: 'ERR_NOT_FOUND' });

      const signer = new SealPushApp({ ...credentials, signingKey: key.seed });
      const got = collect(c, 2);
      await signer.publish({ to: c.clientId, data: 'signed' });
      await signer.publishBatch([{ to: c.clientId, data: 'signed and sealed', seal: true }]);
      assert.deepEqual((await got).map((m) => [m.data, m.verified]), [['signed', true], ['signed and sealed', true]]);
    } finally {
      await c.close();
    }
  });

  test('sealpush apps signing-key registers a PEM, JWK or raw key, refuses anything else, and --remove lifts the check', async () => {
    const other = ed25519();
    const dataDir = server.dataDir;
    const appId = server.app.appId;
    for (const given of [other.pem, JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: other.raw }), other.raw]) {
      const set = await runCli(['apps', 'signing-key', appId, '--public-key', given, '--json', '--data', dataDir]);
      assert.equal(set.code, 0, set.stderr);
      assert.deepEqual(JSON.parse(set.stdout), { appId, signingKey: other.raw });
    }
    for (const bad of ['AAAA', JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: other.raw, d: other.seed }), generateKeyPairSync('x25519').publicKey.export({ format: 'pem', type: 'spki' }).toString()]) {
      const refused = await runCli(['apps', 'signing-key', appId, '--public-key', bad, '--data', dataDir]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /ERR_BAD_REQUEST/);
    }
    const unknown = await runCli(['apps', 'signing-key', 'app_nope', '--public-key', other.raw, '--data', dataDir]);
    assert.match(unknown.stderr, /ERR_NOT_FOUND/);
    const removed = await runCli(['apps', 'signing-key', appId, '--remove', '--json', '--data', dataDir]);
    assert.deepEqual(JSON.parse(removed.stdout), { appId, signingKey: null });
  });
});
