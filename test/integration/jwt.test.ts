// Bearer tokens (JWT) as the second publisher scheme, on a real server: EdDSA, ES256 and
// HS256 keys registered per app and found by issuer AND key id; iat, exp (at most 5 min) and
// jti required; a replayed jti is ERR_AUTH_REPLAY. (The binding to aud, method, path and body:
// jwt-binding.test.ts.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import pino from 'pino';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { parseConfig } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { base64urlDecode } from '../../src/crypto/encoding.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { bindingClaims, mintToken, sendBearer, type BearerRequestSpec } from '../helpers/jwt.js';

describe('bearer tokens (JWT)', () => {
  let server: TestServer;
  let other: { appId: string };
  let client: SealPushClient;
  let otherClient: SealPushClient;
  let ed: { privateKey: CryptoKey; publicKey: CryptoKey };
  let es: { privateKey: CryptoKey; publicKey: CryptoKey };
  let edOther: { privateKey: CryptoKey; publicKey: CryptoKey };
  let hsSecret: Uint8Array;

  async function withCore<T>(fn: (core: Awaited<ReturnType<typeof openCore>>) => Promise<T>): Promise<T> {
    const core = await openCore(parseConfig({ dataDir: server.dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
    try {
      return await fn(core);
    } finally {
      await core.close();
    }
  }

  before(async () => {
    // Many refusals from 127.0.0.1 by design: lift the failed-auth budget per address
    // (refusal-limits.test.ts tests it), so each answer is judged on its own credentials.
    server = await startTestServer({ limits: { failedAuthsPerSecondPerIp: 10_000 } });
    other = await server.createApp('other');
    ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    es = await generateKeyPair('ES256');
    edOther = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    await withCore(async (core) => {
      const pub = async (pair: { publicKey: CryptoKey }) => exportJWK(pair.publicKey);
      await core.apps.addJwtKey(server.app.appId, { issuer: 'billing', kid: 'k1', alg: 'EdDSA', publicJwk: await pub(ed) });
      await core.apps.addJwtKey(server.app.appId, { issuer: 'billing', kid: 'k2', alg: 'ES256', publicJwk: await pub(es) });
      // The same kid under another issuer is another key, of another app.
      await core.apps.addJwtKey(other.appId, { issuer: 'reports', kid: 'k1', alg: 'EdDSA', publicJwk: await pub(edOther) });
      const { secret } = await core.apps.addJwtKey(server.app.appId, { issuer: 'billing', kid: 'h1', alg: 'HS256' });
      hsSecret = base64urlDecode(secret!);
    });
    client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    otherClient = await connect({ url: server.url, appId: other.appId, serverKey: server.identity.publicKey });
  });
  after(async () => {
    await client?.close();
    await otherClient?.close();
    await server?.close();
  });

  const publishTo = (to: string): BearerRequestSpec => ({ method: 'POST', path: '/v1/messages', body: JSON.stringify({ to, data: { via: 'jwt' } }) });

  /** A token bound to the publish to `to` that `publish` sends. */
  async function token(key: CryptoKey | Uint8Array, alg: string, kid: string, claims: JWTPayload & { iss: string }, to: string, lifetime = 60): Promise<string> {
    return mintToken(key, alg, kid, { ...bindingClaims(publishTo(to)), ...claims }, lifetime);
  }

  async function publish(bearer: string, to: string): Promise<{ status: number; code?: string }> {
    const { status, code } = await sendBearer(server.url, bearer, publishTo(to));
    return { status, ...(code ? { code } : {}) };
  }

  test('EdDSA, ES256 and HS256 tokens of a registered key publish for their app', async () => {
    assert.equal((await publish(await token(ed.privateKey, 'EdDSA', 'k1', { iss: 'billing' }, client.clientId), client.clientId)).status, 202);
    assert.equal((await publish(await token(es.privateKey, 'ES256', 'k2', { iss: 'billing' }, client.clientId), client.clientId)).status, 202);
    assert.equal((await publish(await token(hsSecret, 'HS256', 'h1', { iss: 'billing' }, client.clientId), client.clientId)).status, 202);
  });

  test('the key is found by issuer and kid together: the same kid of another issuer is another app', async () => {
    const reports = await token(edOther.privateKey, 'EdDSA', 'k1', { iss: 'reports' }, otherClient.clientId);
    assert.equal((await publish(reports, otherClient.clientId)).status, 202);
    const again = await token(edOther.privateKey, 'EdDSA', 'k1', { iss: 'reports' }, client.clientId);
    assert.deepEqual(await publish(again, client.clientId), { status: 404, code: 'ERR_NOT_FOUND' }, "another app's client is not found");
    const forged = await token(edOther.privateKey, 'EdDSA', 'k1', { iss: 'billing' }, client.clientId);
    assert.deepEqual(await publish(forged, client.clientId), { status: 401, code: 'ERR_AUTH_SIGNATURE' });
  });

  test('a replayed token is ERR_AUTH_REPLAY', async () => {
    const once = await token(ed.privateKey, 'EdDSA', 'k1', { iss: 'billing' }, client.clientId);
    assert.equal((await publish(once, client.clientId)).status, 202);
    assert.deepEqual(await publish(once, client.clientId), { status: 401, code: 'ERR_AUTH_REPLAY' });
  });

  test('expired, too long-lived, unsigned-claim or wrongly signed tokens are refused with their codes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await token(ed.privateKey, 'EdDSA', 'k1', { iss: 'billing', iat: now - 120, exp: now - 60 }, client.clientId);
    assert.deepEqual(await publish(expired, client.clientId), { status: 401, code: 'ERR_AUTH_EXPIRED' });
    const tooLong = await token(ed.privateKey, 'EdDSA', 'k1', { iss: 'billing' }, client.clientId, 600);
    assert.deepEqual(await publish(tooLong, client.clientId), { status: 401, code: 'ERR_AUTH_EXPIRED' });
    const future = await token(ed.privateKey, 'EdDSA', 'k1', { iss: 'billing', iat: now + 3600, exp: now + 3600 + 60 }, client.clientId);
    assert.deepEqual(await publish(future, client.clientId), { status: 401, code: 'ERR_AUTH_EXPIRED' }, 'issued in the future');
    const wrongKey = await token(es.privateKey, 'ES256', 'k1', { iss: 'billing' }, client.clientId);
    assert.deepEqual(await publish(wrongKey, client.clientId), { status: 401, code: 'ERR_AUTH_SIGNATURE' }, 'alg must match the key');
    const unknown = await token(ed.privateKey, 'EdDSA', 'nope', { iss: 'billing' }, client.clientId);
    assert.deepEqual(await publish(unknown, client.clientId), { status: 401, code: 'ERR_AUTH_SIGNATURE' });
    const noJti = await new SignJWT({ iat: now, exp: now + 60, iss: 'billing', ...bindingClaims(publishTo(client.clientId)) }).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).sign(ed.privateKey);
    assert.equal((await publish(noJti, client.clientId)).status, 401);
  });

  test('registering refuses a private key, a taken issuer and kid, and a bad alg, and changes nothing', async () => {
    await withCore(async (core) => {
      const privateJwk = await exportJWK((await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })).privateKey);
      await assert.rejects(core.apps.addJwtKey(server.app.appId, { issuer: 'billing', kid: 'p1', alg: 'EdDSA', publicJwk: privateJwk }), /private key/);
      await assert.rejects(core.apps.addJwtKey(server.app.appId, { issuer: 'billing', kid: 'k1', alg: 'HS256' }), /already has a key/);
      await assert.rejects(core.apps.addJwtKey(server.app.appId, { issuer: 'billing', kid: 'x1', alg: 'RS256' }), { code: 'ERR_BAD_REQUEST' });
      assert.equal(await core.apps.jwtKeyFor('billing', 'p1'), undefined);
    });
  });
});
