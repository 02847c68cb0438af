// Nothing secret is stored or logged in the clear (issue 5, key management): a real server
// process at trace level handles every kind of traffic that touches a secret (HMAC and JWT
// publishers, a client with its three private keys, relay-blind and plain messages, refused
// requests, signed ACKs, audit checkpoints); then every file of the database and every line
// it logged is searched for every secret known to the test, in each encoding it could take.
//
// The server runs in its own process on purpose: reading the database files from this
// process while it held them open would drop its POSIX locks (fcntl locks belong to the
// process, and closing any descriptor of the file releases them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { SignJWT } from 'jose';
import { connect } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { parseConfig } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { base64urlDecode } from '../../src/crypto/encoding.js';
import { deriveClientKey } from '../../src/crypto/node/at-rest.js';
import { collect } from '../helpers/messages.js';
import { exited, spawnServer, type ServerProcess } from '../helpers/process.js';
import { createApp, eventually, tempDir } from '../helpers/server.js';
import { bindingClaims } from '../helpers/jwt.js';

/** Every form a secret could leak in: its bytes, and its bytes written as text. */
function forms(what: string, bytes: Uint8Array): [string, Buffer][] {
  const raw = Buffer.from(bytes);
  return [
    [`${what} (bytes)`, raw],
    [`${what} (base64url)`, Buffer.from(raw.toString('base64url'))],
    [`${what} (base64)`, Buffer.from(raw.toString('base64').replace(/=+$/, ''))],
    [`${what} (hex)`, Buffer.from(raw.toString('hex'))],
  ];
}

describe('no secret, key or payload in the clear: database files and logs, searched for every one', () => {
  const dataDir = tempDir();
  let server: ServerProcess;
  const needles: [string, Buffer][] = [];

  before(async () => {
    const app = await createApp(dataDir, 'secrets');
    const setup = await openCore(parseConfig({ dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
    let hs256: string;
    try {
      hs256 = (await setup.apps.addJwtKey(app.appId, { issuer: 'secrets-test', kid: 'k1', alg: 'HS256' })).secret!;
      await setup.apps.update(app.appId, { receipts: true }); // the test fetches a receipt
    } finally {
      await setup.close();
    }
    server = await spawnServer(dataDir, { SEALPUSH_LOG_LEVEL: 'trace' });

    const plainMarker = `plain-${randomBytes(12).toString('hex')}`;
    const sealedMarker = `sealed-${randomBytes(12).toString('hex')}`;
    const jwtMarker = `jwt-${randomBytes(12).toString('hex')}`;
    const publisher = new SealPushApp({ url: server.url, appId: app.appId, secret: app.secret });
    const client = await connect({ url: server.url, appId: app.appId, serverKey: server.serverKey, ackDelayMs: 0 });
    const session = client.session();
    const arriving = collect(client, 3);
    const first = await publisher.publish({ to: client.clientId, data: { plainMarker } });
    await publisher.publish({ to: client.clientId, data: { sealedMarker }, seal: true });
    const now = Math.floor(Date.now() / 1000);
    const jwtBody = JSON.stringify({ to: client.clientId, data: { jwtMarker } });
    const binding = bindingClaims({ method: 'POST', path: '/v1/messages', body: jwtBody });
    const token = await new SignJWT({ jti: `jti-${randomBytes(8).toString('hex')}`, iat: now, exp: now + 60, ...binding })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer('secrets-test')
      .sign(base64urlDecode(hs256));
    const byJwt = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: jwtBody,
    });
    assert.equal(byJwt.status, 202, await byJwt.text());
    assert.deepEqual((await arriving).map((m) => m.data), [{ plainMarker }, { sealedMarker }, { jwtMarker }]);
    await eventually(async () => ((await publisher.receipt(first.id).catch(() => undefined)) ? true : undefined), 'the signed ACK');
    // Refused requests are logged and audited: with a wrong secret, and with a replayed token.
    const forged = new SealPushApp({ url: server.url, appId: app.appId, secret: randomBytes(32).toString('base64url') });
    await assert.rejects(forged.publish({ to: client.clientId, data: 'x' }), { code: 'ERR_AUTH_SIGNATURE' });
    const replayed = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: jwtBody,
    });
    assert.equal(replayed.status, 401);
    await client.close();
    server.child.kill('SIGTERM'); // drain writes a signed audit checkpoint
    await exited(server.child);

    // The secrets as the server holds them in memory, unwrapped here the way it does.
    const core = await openCore(parseConfig({ dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
    try {
      for (const purpose of ['noise-static', 'payload', 'audit-signing']) {
        const stored = await core.store.getServerKey(purpose);
        assert.ok(stored, `the server key ${purpose} exists`);
        needles.push(...forms(`server key ${purpose}`, await core.kms.unwrap(stored.wrappedSecret, `server-key:${purpose}`)));
      }
      const payloadKey = await core.kms.unwrap((await core.store.getServerKey('payload'))!.wrappedSecret, 'server-key:payload');
      const stored = await core.store.getClient(app.appId, client.clientId);
      assert.ok(stored);
      needles.push(...forms("the client's at-rest key", deriveClientKey(payloadKey, stored.keySalt, app.appId, client.clientId)));
    } finally {
      await core.close();
    }
    const keyFile = JSON.parse(readFileSync(join(dataDir, 'master.key'), 'utf8')) as { keys: Record<string, string> };
    for (const [version, key] of Object.entries(keyFile.keys)) needles.push(...forms(`master key ${version}`, base64urlDecode(key)));
    needles.push(
      ...forms('app secret', base64urlDecode(app.secret)),
      ['app secret (text)', Buffer.from(app.secret)],
      ...forms('HS256 secret', base64urlDecode(hs256)),
      ['HS256 secret (text)', Buffer.from(hs256)],
      ...forms("client's static key", base64urlDecode(session.staticKey)),
      ...forms("client's ack key", base64urlDecode(session.ackKey!)),
      ...forms("client's HPKE key", base64urlDecode(session.hpkeKey!)),
      ['plain payload', Buffer.from(plainMarker)],
      ['sealed payload', Buffer.from(sealedMarker)],
      ['payload published with a JWT', Buffer.from(jwtMarker)],
      ['bearer token', Buffer.from(token)],
    );
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('the database files hold none of them', () => {
    // master.key is the one file that holds the master key, by design (0600; docs/keys.md).
    const keyFile = readFileSync(join(dataDir, 'master.key'));
    assert.ok(needles.some(([what, needle]) => what.startsWith('master key') && keyFile.indexOf(needle) !== -1), 'the search finds what is there');
    const files = readdirSync(dataDir).filter((name) => name !== 'master.key');
    assert.ok(files.includes('sealpush.db'), files.join(', '));
    for (const name of files) {
      const bytes = readFileSync(join(dataDir, name));
      for (const [what, needle] of needles) assert.equal(bytes.indexOf(needle), -1, `${what} found in ${name}`);
    }
  });

  test('the trace-level log holds none of them, nor an Authorization header', () => {
    const logs = Buffer.from(server.output());
    assert.ok(/ERR_AUTH_SIGNATURE/.test(logs.toString()), `the server logged the refused request:\n${logs.toString().slice(0, 2000)}`);
    for (const [what, needle] of needles) assert.equal(logs.indexOf(needle), -1, `${what} found in the log`);
    assert.ok(!/SEALPUSH-HMAC-SHA256 app=/.test(logs.toString()), 'no HMAC Authorization header');
    assert.ok(!/Bearer ey/.test(logs.toString()), 'no bearer Authorization header');
  });
});
