// A bearer token is bound to this sealpush and to its one request (issue 13, item 4), on a real
// server: `aud` must name the configured audience, `htm`, `htu` and `bh` the method, target and
// body. A captured token (its jti still unused) is good for nothing else: not another body,
// not another route, not another method; the refusals change nothing, are audited, and burn
// nothing (the real request still goes through afterwards).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import pino from 'pino';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { SealPushApp, bearerClaims } from '../../src/app/index.js';
import { parseConfig } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { collect } from '../helpers/messages.js';
import { runCli } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { bindingClaims, mintToken, sendBearer, type BearerRequestSpec } from '../helpers/jwt.js';

/** A server with one EdDSA key registered for its app under issuer `billing`, kid `k1`. */
async function serverWithKey(options: { jwtAudience?: string } = {}): Promise<{ server: TestServer; key: CryptoKey }> {
  // Every refusal below comes from 127.0.0.1: lift the failed-auth budget per address
  // (refusal-limits.test.ts tests that limit), so later cases are judged on their tokens.
  const server = await startTestServer({ ...options, limits: { failedAuthsPerSecondPerIp: 10_000 } });
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const core = await openCore(parseConfig({ dataDir: server.dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
  try {
    await core.apps.addJwtKey(server.app.appId, { issuer: 'billing', kid: 'k1', alg: 'EdDSA', publicJwk: await exportJWK(pair.publicKey) });
  } finally {
    await core.close();
  }
  return { server, key: pair.privateKey };
}

const publishTo = (to: string, data: unknown): BearerRequestSpec => ({ method: 'POST', path: '/v1/messages', body: JSON.stringify({ to, data }) });

describe('bearer tokens are bound to this sealpush and to their request', () => {
  let server: TestServer;
  let key: CryptoKey;
  let client: SealPushClient;
  let hmac: SealPushApp;

  before(async () => {
    ({ server, key } = await serverWithKey());
    client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    hmac = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(async () => {
    await client?.close();
    await server?.close();
  });

  /** A token of the registered key bound to `request`; `claims` override or (undefined) remove claims. */
  const tokenFor = (request: BearerRequestSpec, claims: Record<string, unknown> = {}) =>
    mintToken(key, 'EdDSA', 'k1', JSON.parse(JSON.stringify({ iss: 'billing', ...bindingClaims(request), ...claims })) as Record<string, unknown>);
  const send = (token: string, request: BearerRequestSpec) => sendBearer(server.url, token, request);

  test('a token for another audience is refused; aud may be an array that names this sealpush', async () => {
    const request = publishTo(client.clientId, 'aud');
    assert.deepEqual(pick(await send(await tokenFor(request, { aud: 'https://reports.example.com' }), request)), { status: 401, code: 'ERR_AUTH_SIGNATURE' });
    assert.deepEqual(pick(await send(await tokenFor(request, { aud: ['https://reports.example.com'] }), request)), { status: 401, code: 'ERR_AUTH_SIGNATURE' });
    assert.equal((await send(await tokenFor(request, { aud: ['https://reports.example.com', 'sealpush'] }), request)).status, 202);
  });

  test('a captured token (jti unused) with another body, route or method is refused, changes nothing, and the real request still goes', async () => {
    const payee = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    try {
      const arriving = collect(payee, 2);
      const original = publishTo(payee.clientId, { total: 42 });
      const captured = await tokenFor(original);
      const attempts: BearerRequestSpec[] = [
        publishTo(payee.clientId, { total: 4200 }), // another body
        { method: 'POST', path: '/v1/messages/batch', body: JSON.stringify({ messages: [{ to: payee.clientId, data: { total: 42 } }] }) }, // another path
        { method: 'DELETE', path: `/v1/clients/${payee.clientId}` }, // another route and method
      ];
      for (const attempt of attempts) {
        assert.deepEqual(pick(await send(captured, attempt)), { status: 401, code: 'ERR_AUTH_SIGNATURE' }, `${attempt.method} ${attempt.path}`);
      }
      assert.equal((await hmac.client(payee.clientId)).id, payee.clientId, 'the client was not deleted');
      assert.equal((await send(captured, original)).status, 202, 'the refusals did not burn the jti');
      await hmac.publish({ to: payee.clientId, data: 'last' });
      // Delivery is in order: a message published by a refused attempt would come first.
      assert.deepEqual((await arriving).map((m) => m.data), [{ total: 42 }, 'last'], 'only the original message was published');
    } finally {
      await payee.close();
    }
  });

  test('a token to read a client cannot delete it, and one to delete a client cannot delete another', async () => {
    const victim = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    try {
      const read: BearerRequestSpec = { method: 'GET', path: `/v1/clients/${victim.clientId}` };
      const forget: BearerRequestSpec = { method: 'DELETE', path: `/v1/clients/${victim.clientId}` };
      assert.deepEqual(pick(await send(await tokenFor(read), forget)), { status: 401, code: 'ERR_AUTH_SIGNATURE' }, 'htm');
      const another: BearerRequestSpec = { method: 'DELETE', path: '/v1/clients/c_someone_else' };
      assert.deepEqual(pick(await send(await tokenFor(another), forget)), { status: 401, code: 'ERR_AUTH_SIGNATURE' }, 'htu');
      assert.equal((await hmac.client(victim.clientId)).id, victim.clientId, 'the client was not deleted');
    } finally {
      await victim.close();
    }
  });

  test('bound tokens work for publish, batch publish, status, client read and client delete', async () => {
    const published = await send(await tokenFor(publishTo(client.clientId, 1)), publishTo(client.clientId, 1));
    assert.equal(published.status, 202);
    const id = published.body.id as string;
    const batch: BearerRequestSpec = { method: 'POST', path: '/v1/messages/batch', body: JSON.stringify({ messages: [{ to: client.clientId, data: 2 }] }) };
    const batched = await send(await tokenFor(batch), batch);
    assert.equal(batched.status, 202);
    assert.equal((batched.body.results as { status?: string }[])[0]?.status, 'queued');
    const status: BearerRequestSpec = { method: 'GET', path: `/v1/messages/${id}` };
    const read = await send(await tokenFor(status), status);
    assert.equal(read.status, 200);
    assert.equal(read.body.id, id);
    const doomed = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    await doomed.close();
    const view: BearerRequestSpec = { method: 'GET', path: `/v1/clients/${doomed.clientId}` };
    assert.equal((await send(await tokenFor(view), view)).status, 200);
    const forget: BearerRequestSpec = { method: 'DELETE', path: `/v1/clients/${doomed.clientId}` };
    assert.equal((await send(await tokenFor(forget), forget)).status, 200);
    await assert.rejects(hmac.client(doomed.clientId), { code: 'ERR_NOT_FOUND' });
  });

  test('htu may be an absolute URL whose path and query are the target (its origin is not compared)', async () => {
    const request = publishTo(client.clientId, 'absolute');
    assert.equal((await send(await tokenFor(request, { htu: 'https://push.example.com/v1/messages' }), request)).status, 202);
    assert.deepEqual(pick(await send(await tokenFor(request, { htu: 'https://push.example.com/v1/messages/batch' }), request)), { status: 401, code: 'ERR_AUTH_SIGNATURE' });
    assert.deepEqual(pick(await send(await tokenFor(request, { htu: 'https://push.example.com/v1/messages?x=1' }), request)), { status: 401, code: 'ERR_AUTH_SIGNATURE' });
  });

  test('a token without aud, htm, htu or bh is ERR_AUTH_MISSING, and so is one whose claim is not a string', async () => {
    const request = publishTo(client.clientId, 'missing');
    for (const claim of ['aud', 'htm', 'htu', 'bh']) {
      assert.deepEqual(pick(await send(await tokenFor(request, { [claim]: undefined }), request)), { status: 401, code: 'ERR_AUTH_MISSING' }, claim);
    }
    assert.deepEqual(pick(await send(await tokenFor(request, { bh: 7 }), request)), { status: 401, code: 'ERR_AUTH_MISSING' });
    const read: BearerRequestSpec = { method: 'GET', path: '/v1/clients/c_x' };
    const wrongEmpty = await tokenFor(read, { bh: bindingClaims({ ...read, body: '{}' }).bh });
    assert.deepEqual(pick(await send(wrongEmpty, read)), { status: 401, code: 'ERR_AUTH_SIGNATURE' }, 'a request without a body hashes the empty string');
  });

  test('the SDK helper bearerClaims makes claims the server accepts', async () => {
    const body = JSON.stringify({ to: client.clientId, data: 'from bearerClaims' });
    const claims = await bearerClaims({ method: 'POST', url: `${server.url}/v1/messages`, body });
    const token = await mintToken(key, 'EdDSA', 'k1', { iss: 'billing', ...claims });
    assert.equal((await send(token, { method: 'POST', path: '/v1/messages', body })).status, 202);
  });

  test("the SDK's bearerToken mode publishes, reads and forgets with a bound token per request", async () => {
    const minted: Record<string, unknown>[] = [];
    const sdk = new SealPushApp({
      url: server.url,
      appId: server.app.appId,
      bearerToken: (claims) => {
        minted.push({ ...claims });
        return mintToken(key, 'EdDSA', 'k1', { iss: 'billing', ...claims });
      },
    });
    const { id } = await sdk.publish({ to: client.clientId, data: 'via the SDK' });
    const [batched] = await sdk.publishBatch([{ to: client.clientId, data: 'batch' }]);
    assert.ok(batched && 'id' in batched, JSON.stringify(batched));
    assert.equal((await sdk.status(id)).id, id);
    const doomed = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    await doomed.close();
    assert.equal((await sdk.client(doomed.clientId)).id, doomed.clientId);
    await sdk.forgetClient(doomed.clientId);
    await assert.rejects(sdk.client(doomed.clientId), { code: 'ERR_NOT_FOUND' });
    assert.deepEqual(minted.map((c) => `${String(c.htm)} ${String(c.htu)}`), [
      'POST /v1/messages',
      'POST /v1/messages/batch',
      `GET /v1/messages/${id}`,
      `GET /v1/clients/${doomed.clientId}`,
      `DELETE /v1/clients/${doomed.clientId}`,
      `GET /v1/clients/${doomed.clientId}`,
    ]);
    const wrongAudience = new SealPushApp({ url: server.url, appId: server.app.appId, jwtAudience: 'elsewhere', bearerToken: (claims) => mintToken(key, 'EdDSA', 'k1', { iss: 'billing', ...claims }) });
    await assert.rejects(wrongAudience.status(id), { code: 'ERR_AUTH_SIGNATURE' });
  });

  test('each refusal is recorded as an auth failure of the bearer scheme, naming the issuer and code', async () => {
    const created = await runCli(['--data', server.dataDir, 'admin', 'create', '--name', 'jwt-test', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const adminToken = (JSON.parse(created.stdout) as { token: string }).token;
    const request = publishTo(client.clientId, 'audited');
    await send(await tokenFor(request, { aud: 'elsewhere' }), request);
    const response = await fetch(`${server.url}/v1/admin/auth-failures`, { headers: { authorization: `Bearer ${adminToken}` } });
    const { failures } = (await response.json()) as { failures: { scheme: string; issuer: string | null; code: string }[] };
    assert.deepEqual(pick3(failures[0]), { scheme: 'bearer', issuer: 'billing', code: 'ERR_AUTH_SIGNATURE' });
  });
});

describe('a configured jwtAudience', () => {
  let server: TestServer;
  let key: CryptoKey;
  before(async () => ({ server, key } = await serverWithKey({ jwtAudience: 'https://push.example.com' })));
  after(() => server?.close());

  test('is the one audience accepted: the default "sealpush" is then refused', async () => {
    const request: BearerRequestSpec = { method: 'GET', path: '/v1/clients/c_nobody' };
    const withAudience = (aud: string) => mintToken(key, 'EdDSA', 'k1', { iss: 'billing', ...bindingClaims(request, aud) });
    assert.deepEqual(pick(await sendBearer(server.url, await withAudience('sealpush'), request)), { status: 401, code: 'ERR_AUTH_SIGNATURE' });
    assert.deepEqual(pick(await sendBearer(server.url, await withAudience('https://push.example.com'), request)), { status: 404, code: 'ERR_NOT_FOUND' }, 'authenticated');
  });
});

function pick(answer: { status: number; code?: string }): { status: number; code?: string } {
  return { status: answer.status, ...(answer.code === undefined ? {} : { code: answer.code }) };
}

function pick3(failure: { scheme: string; issuer: string | null; code: string } | undefined) {
  return failure && { scheme: failure.scheme, issuer: failure.issuer, code: failure.code };
}
