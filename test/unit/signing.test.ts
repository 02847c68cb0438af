import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import {
  EMPTY_BODY_SHA256_HEX,
  SIGNATURE_SCHEME,
  canonicalRequest,
  decodeAppSecret,
  formatAuthorization,
  parseAuthorization,
} from '../../src/crypto/request-signature.js';
import { RequestSigner } from '../../src/app/signing.js';

// The worked example of docs/api.md: keep the two in step.
const EXAMPLE = {
  appId: 'app_demo',
  secret: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8', // bytes 0x00..0x1f
  ts: 1767225600,
  nonce: 'q1w2e3r4t5y6u7i8o9p0aa',
  body: '{"to":"c_demo","data":{"ok":true}}',
  bodySha256Hex: 'f84430adf934049ea810177f46e05fd68c38ac060735ff5cfe2fde1e4c88b0cf',
  sig: '-5HL47mEXBPqljBjQD-VGV9i1mMCX-YsfPTRG1yakjo',
};

test('canonical string: method, path, ts, nonce, body hash joined by newlines', () => {
  const text = canonicalRequest({
    method: 'POST',
    pathWithQuery: '/v1/messages?x=1',
    ts: 1767225600,
    nonce: EXAMPLE.nonce,
    bodySha256Hex: EMPTY_BODY_SHA256_HEX,
  });
  assert.equal(text, `POST\n/v1/messages?x=1\n1767225600\n${EXAMPLE.nonce}\n${EMPTY_BODY_SHA256_HEX}`);
  assert.equal(EMPTY_BODY_SHA256_HEX, createHash('sha256').update('').digest('hex'));
});

test('known answer, computed independently with node:crypto', () => {
  const bodyHash = createHash('sha256').update(EXAMPLE.body).digest('hex');
  assert.equal(bodyHash, EXAMPLE.bodySha256Hex);
  const text = canonicalRequest({ method: 'POST', pathWithQuery: '/v1/messages', ts: EXAMPLE.ts, nonce: EXAMPLE.nonce, bodySha256Hex: bodyHash });
  const key = Buffer.from(EXAMPLE.secret, 'base64url');
  assert.deepEqual(decodeAppSecret(EXAMPLE.secret), new Uint8Array(key));
  assert.equal(createHmac('sha256', key).update(text).digest('base64url'), EXAMPLE.sig);
});

test('the WebCrypto signer produces a header the server-side recomputation accepts', async () => {
  const signer = new RequestSigner(EXAMPLE.appId, EXAMPLE.secret);
  const body = new TextEncoder().encode(EXAMPLE.body);
  const header = await signer.authorization({ method: 'POST', pathWithQuery: '/v1/messages', body }, EXAMPLE.ts * 1000 + 999);
  const auth = parseAuthorization(header);
  assert.ok(auth);
  assert.equal(auth.appId, EXAMPLE.appId);
  assert.equal(auth.ts, EXAMPLE.ts);
  assert.ok(auth.nonce.length >= 22);
  const text = canonicalRequest({ method: 'POST', pathWithQuery: '/v1/messages', ts: auth.ts, nonce: auth.nonce, bodySha256Hex: EXAMPLE.bodySha256Hex });
  assert.equal(auth.sig, createHmac('sha256', Buffer.from(EXAMPLE.secret, 'base64url')).update(text).digest('base64url'));
  const again = parseAuthorization(await signer.authorization({ method: 'POST', pathWithQuery: '/v1/messages', body }));
  assert.notEqual(again?.nonce, auth.nonce, 'every request gets a fresh nonce');
});

test('format and parse round-trip; parameters in any order, scheme case-insensitive', () => {
  const auth = { appId: EXAMPLE.appId, ts: EXAMPLE.ts, nonce: EXAMPLE.nonce, sig: EXAMPLE.sig };
  const header = formatAuthorization(auth);
  assert.equal(header, `${SIGNATURE_SCHEME} app=app_demo,ts=1767225600,nonce=${EXAMPLE.nonce},sig=${EXAMPLE.sig}`);
  assert.deepEqual(parseAuthorization(header), auth);
  assert.deepEqual(
    parseAuthorization(`sealpush-hmac-sha256 sig=${EXAMPLE.sig}, nonce=${EXAMPLE.nonce}, ts=1767225600, app=app_demo`),
    auth,
  );
});

test('parse rejects malformed headers', () => {
  const good = { app: 'app_demo', ts: '1767225600', nonce: EXAMPLE.nonce, sig: EXAMPLE.sig };
  const build = (p: Record<string, string>, scheme = SIGNATURE_SCHEME): string =>
    `${scheme} ${Object.entries(p).map(([k, v]) => `${k}=${v}`).join(',')}`;
  const bad: Array<[string, string | undefined]> = [
    ['absent', undefined],
    ['empty', ''],
    ['other scheme', build(good, 'Bearer')],
    ['no parameters', SIGNATURE_SCHEME],
    ['missing sig', build({ app: good.app, ts: good.ts, nonce: good.nonce })],
    ['duplicate app', `${build(good)},app=other`],
    ['unknown parameter', `${build(good)},x=1`],
    ['negative ts', build({ ...good, ts: '-1' })],
    ['fractional ts', build({ ...good, ts: '1.5' })],
    ['short nonce', build({ ...good, nonce: 'abc' })],
    ['long nonce', build({ ...good, nonce: 'a'.repeat(129) })],
    ['nonce outside base64url', build({ ...good, nonce: `${'a'.repeat(21)}+` })],
    ['short sig', build({ ...good, sig: EXAMPLE.sig.slice(1) })],
    ['padded sig', build({ ...good, sig: `${EXAMPLE.sig}=` })],
    ['app id with a space', build({ ...good, app: 'a b' })],
    ['empty app', build({ ...good, app: '' })],
    ['oversized header', `${build(good)}${' '.repeat(1100)}`],
  ];
  for (const [name, header] of bad) assert.equal(parseAuthorization(header), undefined, name);
});

test('app secrets must be 32 bytes of canonical base64url', () => {
  assert.equal(decodeAppSecret(EXAMPLE.secret).length, 32);
  assert.throws(() => decodeAppSecret(EXAMPLE.secret.slice(0, 42)), TypeError);
  assert.throws(() => decodeAppSecret(`${EXAMPLE.secret}=`), TypeError);
  assert.throws(() => decodeAppSecret('AAAA'), TypeError);
  assert.throws(() => new RequestSigner('app_demo', 'not a secret'), TypeError);
});
