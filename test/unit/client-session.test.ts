/** The client SDK's saved session check and its WebSocket URL mapping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSession, webSocketUrl, type SavedSession } from '../../src/client/session.js';

const APP = 'app_client';
const VALID: SavedSession = { v: 1, appId: APP, clientId: 'c-123', staticKey: 'A'.repeat(42) + 'Q', lastSeq: 7 };

test('a valid session is returned as saved, without extra fields', () => {
  assert.deepEqual(parseSession({ ...VALID, extra: 'dropped' }, APP), VALID);
  assert.equal(parseSession({ ...VALID, lastSeq: 0 }, APP).lastSeq, 0);
  assert.deepEqual(parseSession(JSON.parse(JSON.stringify(VALID)), APP), VALID, 'round-trips through JSON');
  const announced = { ...VALID, serverKey: 'B'.repeat(42) + 'A' };
  assert.deepEqual(parseSession(announced, APP), announced, 'an announced server key is kept');
});

test('a session that is not an object is refused', () => {
  for (const input of [null, undefined, 'session', 42, true]) {
    assert.throws(() => parseSession(input, APP), { code: 'ERR_BAD_REQUEST' }, String(input));
  }
});

test('each malformed field is refused with ERR_BAD_REQUEST', () => {
  const cases: Record<string, readonly unknown[]> = {
    v: [undefined, 0, 2, '1'],
    clientId: [undefined, '', 42, null],
    staticKey: [undefined, 42, '', 'A'.repeat(42), 'A'.repeat(44), 'A'.repeat(42) + '=', 'A'.repeat(42) + '+', 'A'.repeat(42) + '/'],
    lastSeq: [undefined, -1, 1.5, '7', Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, null],
    serverKey: [42, null, '', 'A'.repeat(42), 'A'.repeat(42) + '='],
  };
  for (const [field, values] of Object.entries(cases)) {
    for (const value of values) {
      const input: Record<string, unknown> = { ...VALID, [field]: value };
      if (value === undefined) delete input[field];
      assert.throws(() => parseSession(input, APP), { code: 'ERR_BAD_REQUEST' }, `${field}=${String(value)}`);
    }
  }
});

test('a session of another app is refused', () => {
  assert.throws(() => parseSession(VALID, 'app_other'), { code: 'ERR_BAD_REQUEST' });
  const { appId: _, ...withoutApp } = VALID;
  assert.throws(() => parseSession(withoutApp, APP), { code: 'ERR_BAD_REQUEST' });
});

test('webSocketUrl maps http to ws and https to wss, appending /v1/ws', () => {
  assert.equal(webSocketUrl('http://127.0.0.1:8080'), 'ws://127.0.0.1:8080/v1/ws');
  assert.equal(webSocketUrl('http://127.0.0.1:8080/'), 'ws://127.0.0.1:8080/v1/ws');
  assert.equal(webSocketUrl('https://push.example.com'), 'wss://push.example.com/v1/ws');
  assert.equal(webSocketUrl('HTTPS://Push.Example.com:443'), 'wss://push.example.com/v1/ws', 'default port dropped, host lower-cased');
});

test('webSocketUrl keeps a base path and a ws(s) URL as given', () => {
  assert.equal(webSocketUrl('https://example.com/sealpush'), 'wss://example.com/sealpush/v1/ws');
  assert.equal(webSocketUrl('https://example.com/sealpush/'), 'wss://example.com/sealpush/v1/ws');
  assert.equal(webSocketUrl('http://example.com/a/b?tenant=1'), 'ws://example.com/a/b/v1/ws?tenant=1');
  assert.equal(webSocketUrl('ws://127.0.0.1:9/v1/ws'), 'ws://127.0.0.1:9/v1/ws');
  assert.equal(webSocketUrl('wss://example.com/base/v1/ws'), 'wss://example.com/base/v1/ws');
  assert.equal(webSocketUrl('wss://example.com'), 'wss://example.com/v1/ws');
  assert.equal(webSocketUrl('https://example.com/v1/ws'), 'wss://example.com/v1/ws', 'not appended twice');
});

test('webSocketUrl refuses other schemes with ERR_BAD_REQUEST', () => {
  for (const url of ['ftp://example.com', 'file:///tmp/x', 'mailto:a@example.com']) {
    assert.throws(() => webSocketUrl(url), { code: 'ERR_BAD_REQUEST' }, url);
  }
});

test('webSocketUrl refuses a non-URL with ERR_BAD_REQUEST and tolerates trailing slashes', () => {
  assert.throws(() => webSocketUrl('not a url'), { code: 'ERR_BAD_REQUEST' });
  assert.equal(webSocketUrl('http://h/v1/ws/'), 'ws://h/v1/ws');
  assert.equal(webSocketUrl('https://h/push/'), 'wss://h/push/v1/ws');
});

test('the HPKE key is optional, kept when valid, and never the static key', () => {
  const withHpke = { ...VALID, hpkeKey: 'B'.repeat(42) + 'Q' };
  assert.deepEqual(parseSession(withHpke, APP), withHpke);
  for (const hpkeKey of [42, '', 'B'.repeat(42), 'B'.repeat(42) + '=', null, VALID.staticKey]) {
    assert.throws(() => parseSession({ ...VALID, hpkeKey }, APP), { code: 'ERR_BAD_REQUEST' }, String(hpkeKey));
  }
});

test('a saved ticket is kept when well-formed, and each malformed ticket field is refused', () => {
  const ticket = { value: 'AQAAAB' + 'x'.repeat(100), psk: 'C'.repeat(42) + 'A', expiresAt: 1_800_000_000_000, serverKey: 'B'.repeat(42) + 'A' };
  assert.deepEqual(parseSession({ ...VALID, ticket }, APP), { ...VALID, ticket });
  for (const [field, value] of Object.entries({ value: ['', 'a', 'a+b', 'x'.repeat(684)], psk: ['', 'A'.repeat(42)], expiresAt: [-1, 1.5, '1'], serverKey: [undefined, 'A'] })) {
    for (const bad of value) {
      assert.throws(() => parseSession({ ...VALID, ticket: { ...ticket, [field]: bad } }, APP), { code: 'ERR_BAD_REQUEST' }, `${field}=${String(bad)}`);
    }
  }
  assert.throws(() => parseSession({ ...VALID, ticket: 'x' }, APP), { code: 'ERR_BAD_REQUEST' });
});
