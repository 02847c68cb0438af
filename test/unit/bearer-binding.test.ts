// The binding of a bearer token to its audience and request (crypto/bearer-binding.ts), the
// SDK's bearerClaims, the jwtAudience option, and docs/api.md's worked example, which is
// reproduced here byte for byte (EdDSA signatures are deterministic).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SignJWT, importJWK, jwtVerify } from 'jose';
import { checkBearerBinding, EMPTY_BODY_SHA256_B64URL, targetMatches, type BoundRequest } from '../../src/crypto/bearer-binding.js';
import { SealPushApp, bearerClaims, type BearerBindingClaims } from '../../src/app/index.js';
import { ConfigError, loadConfig, parseConfig } from '../../src/config.js';

const EXAMPLE = {
  /** The Ed25519 private key of the example: the seed bytes 0x00, 0x01, ..., 0x1f (never use it). */
  seedHex: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  publicJwk: { kty: 'OKP', crv: 'Ed25519', x: 'A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg' },
  body: '{"to":"c_demo","data":{"ok":true}}',
  payload: {
    iss: 'billing',
    aud: 'https://push.example.com',
    iat: 1767225600,
    exp: 1767225660,
    jti: 'q1w2e3r4t5y6u7i8o9p0aa',
    htm: 'POST',
    htu: '/v1/messages',
    bh: '-EQwrfk0BJ6oEBd_RuBf1ow4rAYHNf9c_i_eHkyIsM8',
  },
  token:
    'eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJpc3MiOiJiaWxsaW5nIiwiYXVkIjoiaHR0cHM6Ly9wdXNoLmV4YW1wbGUuY29tIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjE3NjcyMjU2NjAsImp0aSI6InExdzJlM3I0dDV5NnU3aThvOXAwYWEiLCJodG0iOiJQT1NUIiwiaHR1IjoiL3YxL21lc3NhZ2VzIiwiYmgiOiItRVF3cmZrMEJKNm9FQmRfUnVCZjFvdzRyQVlITmY5Y19pX2VIa3lJc004In0.ha_ZXzC2qhLMUfAClZnTQmxsHFKL_r0CHjMDKQ-tRPdx-PzfWH-LtjS_3FtXL1nBnuoZRHGh1cXV7U7IOJWgDg',
} as const;

const AUDIENCE = 'https://push.example.com';
const request: BoundRequest = { method: 'POST', target: '/v1/messages', bodySha256: EXAMPLE.payload.bh };
const codeOf = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

test('the worked example of docs/api.md: the token, its claims and its body hash', async () => {
  assert.equal(createHash('sha256').update(EXAMPLE.body).digest('base64url'), EXAMPLE.payload.bh);
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(EXAMPLE.seedHex, 'hex')]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const token = await new SignJWT({ ...EXAMPLE.payload }).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).sign(privateKey);
  assert.equal(token, EXAMPLE.token);
  const { payload } = await jwtVerify(EXAMPLE.token, await importJWK(EXAMPLE.publicJwk, 'EdDSA'), { currentDate: new Date(1767225600_000) });
  checkBearerBinding(payload, request, AUDIENCE);
  const docs = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
  for (const value of [EXAMPLE.token, EXAMPLE.publicJwk.x, EXAMPLE.payload.bh, JSON.stringify(EXAMPLE.payload)]) {
    assert.ok(docs.includes(value), `docs/api.md shows ${value.slice(0, 40)}...`);
  }
});

test('bearerClaims (sealpush/app) computes the example claims from a URL or a target, text or bytes', async () => {
  const { aud, htm, htu, bh } = EXAMPLE.payload;
  assert.deepEqual(await bearerClaims({ method: 'POST', url: 'https://push.example.com/v1/messages', body: EXAMPLE.body, audience: AUDIENCE }), { aud, htm, htu, bh });
  assert.deepEqual(await bearerClaims({ method: 'POST', url: '/v1/messages', body: new TextEncoder().encode(EXAMPLE.body), audience: AUDIENCE }), { aud, htm, htu, bh });
  const read = await bearerClaims({ method: 'GET', url: new URL('http://127.0.0.1:8080/v1/messages/order%2F7?x=1') });
  assert.deepEqual(read, { aud: 'sealpush', htm: 'GET', htu: '/v1/messages/order%2F7?x=1', bh: EMPTY_BODY_SHA256_B64URL });
  assert.equal(EMPTY_BODY_SHA256_B64URL, createHash('sha256').update('').digest('base64url'));
  await assert.rejects(bearerClaims({ method: 'GET', url: 'v1/messages' }), { code: 'ERR_BAD_REQUEST' });
});

test('checkBearerBinding: a missing claim is ERR_AUTH_MISSING, another audience, method, target or body ERR_AUTH_SIGNATURE', () => {
  const claims = { ...EXAMPLE.payload };
  assert.equal(codeOf(() => checkBearerBinding(claims, request, AUDIENCE)), undefined);
  assert.equal(codeOf(() => checkBearerBinding({ ...claims, aud: ['other', AUDIENCE] }, request, AUDIENCE)), undefined);
  for (const name of ['aud', 'htm', 'htu', 'bh'] as const) {
    const { [name]: _removed, ...without } = claims;
    assert.equal(codeOf(() => checkBearerBinding(without, request, AUDIENCE)), 'ERR_AUTH_MISSING', name);
  }
  assert.equal(codeOf(() => checkBearerBinding({ ...claims, htm: 1 }, request, AUDIENCE)), 'ERR_AUTH_MISSING');
  assert.equal(codeOf(() => checkBearerBinding({ ...claims, bh: '' }, request, AUDIENCE)), 'ERR_AUTH_MISSING');
  assert.equal(codeOf(() => checkBearerBinding(claims, request, 'sealpush')), 'ERR_AUTH_SIGNATURE', 'another audience');
  assert.equal(codeOf(() => checkBearerBinding({ ...claims, aud: [] }, request, AUDIENCE)), 'ERR_AUTH_SIGNATURE');
  assert.equal(codeOf(() => checkBearerBinding(claims, { ...request, method: 'DELETE' }, AUDIENCE)), 'ERR_AUTH_SIGNATURE');
  assert.equal(codeOf(() => checkBearerBinding({ ...claims, htm: 'post' }, request, AUDIENCE)), 'ERR_AUTH_SIGNATURE', 'method case matters');
  assert.equal(codeOf(() => checkBearerBinding(claims, { ...request, target: '/v1/messages/batch' }, AUDIENCE)), 'ERR_AUTH_SIGNATURE');
  assert.equal(codeOf(() => checkBearerBinding(claims, { ...request, bodySha256: EMPTY_BODY_SHA256_B64URL }, AUDIENCE)), 'ERR_AUTH_SIGNATURE');
});

test('targetMatches: the target exactly, or an absolute http(s) URL with exactly its path and query', () => {
  assert.ok(targetMatches('/v1/messages', '/v1/messages'));
  assert.ok(!targetMatches('/v1/messages/', '/v1/messages'));
  assert.ok(!targetMatches('/v1/messages', '/v1/messages?x=1'), 'the query is bound');
  assert.ok(targetMatches('https://push.example.com/v1/messages/a%2Fb?x=1', '/v1/messages/a%2Fb?x=1'));
  assert.ok(targetMatches('http://10.0.0.7:8080/v1/messages', '/v1/messages'), 'the origin is not compared');
  assert.ok(!targetMatches('https://push.example.com/push/v1/messages', '/v1/messages'), 'a prefix the proxy strips is not the target');
  assert.ok(!targetMatches('https://push.example.com/v1/messages#x', '/v1/messages'));
  assert.ok(!targetMatches('ftp://push.example.com/v1/messages', '/v1/messages'));
  assert.ok(!targetMatches('v1/messages', '/v1/messages'));
});

test('jwtAudience: default "sealpush", from SEALPUSH_JWT_AUDIENCE, refused unless 1 to 255 visible ASCII characters', () => {
  assert.equal(parseConfig({}).jwtAudience, 'sealpush');
  assert.equal(loadConfig({ env: { SEALPUSH_JWT_AUDIENCE: 'https://push.example.com' } }).jwtAudience, 'https://push.example.com');
  for (const bad of ['', 'has space', 'x'.repeat(256), 'caf\u00e9']) {
    assert.throws(() => parseConfig({ jwtAudience: bad }), (err: unknown) => err instanceof ConfigError && /jwtAudience/.test(err.message), JSON.stringify(bad));
  }
});

test('SealPushApp takes the app secret or bearerToken, exactly one; a failing bearerToken is a SealPushError', async () => {
  const base = { url: 'http://127.0.0.1:9', appId: 'app_x' };
  assert.throws(() => new SealPushApp(base), { code: 'ERR_BAD_REQUEST' });
  assert.throws(() => new SealPushApp({ ...base, secret: 'A'.repeat(43), bearerToken: () => 'x' }), { code: 'ERR_BAD_REQUEST' });
  const seen: BearerBindingClaims[] = [];
  const fetchNothing = (async () => new Response('{"id":"m1","status":"queued"}', { status: 200 })) as typeof fetch;
  const sdk = new SealPushApp({ ...base, fetch: fetchNothing, jwtAudience: 'aud-x', bearerToken: (claims) => (seen.push(claims), 'h.p.s') });
  await sdk.status('m1');
  assert.deepEqual(seen, [{ aud: 'aud-x', htm: 'GET', htu: '/v1/messages/m1', bh: EMPTY_BODY_SHA256_B64URL }]);
  const throwing = new SealPushApp({ ...base, fetch: fetchNothing, bearerToken: () => Promise.reject(new Error('no key')) });
  await assert.rejects(throwing.status('m1'), { code: 'ERR_BAD_REQUEST' });
});
