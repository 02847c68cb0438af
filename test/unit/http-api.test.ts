import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildHttpApp } from '../../src/transport/http/app.js';
import { ERROR_CATALOGUE, SealPushError, type ErrorCode } from '../../src/domain/errors.js';
import type { NonceCache } from '../../src/domain/ports/nonce-cache.js';
import type { AppSecrets, MessageReceipt, PushApi } from '../../src/domain/ports/push-api.js';
import type { ClientView, ForgottenClientView, MessageView, PublishResult } from '../../src/domain/views.js';

const APP = 'app_a';
const KEY = new Uint8Array(randomBytes(32));
const NOW_MS = 1_767_225_600_000;

/** Just enough of the domain: one client `c1`, idempotency by `id`, per-item errors. */
class TestPushApi implements PushApi {
  readonly messages = new Map<string, MessageView>();
  failWith: Error | undefined;

  async publish(appId: string, items: readonly unknown[]): Promise<PublishResult[]> {
    if (this.failWith !== undefined) throw this.failWith;
    return items.map((item) => {
      const m = item as { to?: unknown; id?: unknown };
      if (typeof item !== 'object' || item === null || typeof m.to !== 'string') {
        return new SealPushError('ERR_BAD_REQUEST', '"to" must be a client id').toJSON();
      }
      if (appId !== APP || m.to !== 'c1') return new SealPushError('ERR_NOT_FOUND').toJSON();
      const id = typeof m.id === 'string' ? m.id : `m${this.messages.size + 1}`;
      const existing = this.messages.get(id);
      if (existing !== undefined) return { id, status: existing.status };
      const at = new Date(NOW_MS).toISOString();
      this.messages.set(id, { id, to: m.to, status: 'queued', createdAt: at, expiresAt: at, deliveredAt: null, ackedAt: null });
      return { id, status: 'queued' as const };
    });
  }

  async messageStatus(_appId: string, id: string): Promise<MessageView> {
    const view = this.messages.get(id);
    if (view === undefined) throw new SealPushError('ERR_NOT_FOUND');
    return view;
  }

  async messageReceipt(_appId: string, id: string): Promise<MessageReceipt> {
    throw new SealPushError(this.messages.has(id) ? 'ERR_NO_RECEIPT' : 'ERR_NOT_FOUND');
  }

  async clientInfo(_appId: string, id: string): Promise<ClientView> {
    if (id !== 'c1') throw new SealPushError('ERR_NOT_FOUND');
    return { id, online: false, lastSeen: null, pending: this.messages.size, hpkeKey: null };
  }

  async forgetClient(appId: string, id: string): Promise<ForgottenClientView> {
    if (appId !== APP || id !== 'c1') throw new SealPushError('ERR_NOT_FOUND');
    const messagesDeleted = this.messages.size;
    this.messages.clear();
    return { id, forgotten: true, messagesDeleted, receiptsDeleted: 0, forgottenAt: new Date(NOW_MS).toISOString(), journalScrubbed: true };
  }
}

class TestNonces implements NonceCache {
  private readonly seen = new Set<string>();
  async claim(key: string): Promise<boolean> {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
  async close(): Promise<void> {}
}

interface Fixture {
  app: FastifyInstance;
  api: TestPushApi;
  state: { ready: boolean };
  logs: string[];
}

async function fixture(t: { after(fn: () => Promise<void>): void }, bodyLimitBytes?: number, nonces: NonceCache = new TestNonces()): Promise<Fixture> {
  const api = new TestPushApi();
  const state = { ready: true };
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString()), done()) });
  const secrets: AppSecrets = { secretsFor: async (appId) => (appId === APP ? [KEY] : []) };
  const app = buildHttpApp({
    api,
    secrets,
    nonces,
    readiness: { ready: async () => state.ready },
    clock: { now: () => NOW_MS },
    logger: pino({ level: 'info' }, sink),
    limits: bodyLimitBytes === undefined ? undefined : { bodyLimitBytes },
  });
  t.after(() => app.close());
  await app.ready();
  return { app, api, state, logs };
}

interface SignOptions {
  appId?: string;
  key?: Uint8Array;
  ts?: number;
  nonce?: string;
  /** Sign this body instead of the one sent. */
  signedBody?: string;
}

/** The scheme, written out independently of src/ with node:crypto. */
function authorization(method: string, url: string, body: string, o: SignOptions = {}): string {
  const ts = o.ts ?? NOW_MS / 1000;
  const nonce = o.nonce ?? randomBytes(16).toString('base64url');
  const hash = createHash('sha256').update(o.signedBody ?? body).digest('hex');
  const sig = createHmac('sha256', o.key ?? KEY).update(`${method}\n${url}\n${ts}\n${nonce}\n${hash}`).digest('base64url');
  return `SEALPUSH-HMAC-SHA256 app=${o.appId ?? APP},ts=${ts},nonce=${nonce},sig=${sig}`;
}

function send(app: FastifyInstance, method: 'GET' | 'POST', url: string, body?: unknown, o?: SignOptions & { contentType?: string }) {
  const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: authorization(method, url, payload, o) };
  if (body !== undefined) headers['content-type'] = o?.contentType ?? 'application/json';
  return app.inject({ method, url, headers, ...(body === undefined ? {} : { payload }) });
}

/** Every error has the catalogue's status and exactly `{ error: { code, message } }`. */
function assertError(res: LightMyRequestResponse, code: ErrorCode): void {
  assert.equal(res.statusCode, ERROR_CATALOGUE[code].http, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json() as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 0);
}

test('a signed publish is accepted with 202 { id, status }', async (t) => {
  const { app } = await fixture(t);
  const res = await send(app, 'POST', '/v1/messages', { to: 'c1', data: { ok: true }, id: 'k1' });
  assert.equal(res.statusCode, 202);
  assert.deepEqual(res.json(), { id: 'k1', status: 'queued' });
});

test('a message the domain refuses answers with that error and its status', async (t) => {
  const { app } = await fixture(t);
  assertError(await send(app, 'POST', '/v1/messages', { to: 'someone-else', data: 1 }), 'ERR_NOT_FOUND');
  assertError(await send(app, 'POST', '/v1/messages', { data: 1 }), 'ERR_BAD_REQUEST');
  assertError(await send(app, 'POST', '/v1/messages', [1, 2]), 'ERR_BAD_REQUEST');
});

test('a batch gets one result per message, in order', async (t) => {
  const { app } = await fixture(t);
  const res = await send(app, 'POST', '/v1/messages/batch', {
    messages: [{ to: 'c1', data: 1, id: 'a' }, { to: 'nobody', data: 2 }, { to: 'c1', data: 3, id: 'a' }],
  });
  assert.equal(res.statusCode, 202);
  const { results } = res.json() as { results: PublishResult[] };
  assert.deepEqual(results[0], { id: 'a', status: 'queued' });
  assert.equal((results[1] as { error: { code: string } }).error.code, 'ERR_NOT_FOUND');
  assert.deepEqual(results[2], { id: 'a', status: 'queued' });
});

test('a batch of 0 or 1001 messages, or without messages, is ERR_BAD_REQUEST', async (t) => {
  const { app } = await fixture(t);
  assertError(await send(app, 'POST', '/v1/messages/batch', { messages: [] }), 'ERR_BAD_REQUEST');
  const many = Array.from({ length: 1001 }, () => ({ to: 'c1', data: 0 }));
  assertError(await send(app, 'POST', '/v1/messages/batch', { messages: many }), 'ERR_BAD_REQUEST');
  const missing = await send(app, 'POST', '/v1/messages/batch', { message: [] });
  assertError(missing, 'ERR_BAD_REQUEST');
  assert.match((missing.json() as { error: { message: string } }).error.message, /messages/);
});

test('message status and client info', async (t) => {
  const { app } = await fixture(t);
  await send(app, 'POST', '/v1/messages', { to: 'c1', data: 1, id: 'k/1' });
  const status = await send(app, 'GET', '/v1/messages/k%2F1');
  assert.equal(status.statusCode, 200, status.body);
  assert.equal((status.json() as MessageView).status, 'queued');
  assert.equal((status.json() as MessageView).deliveredAt, null);
  assertError(await send(app, 'GET', '/v1/messages/nope'), 'ERR_NOT_FOUND');
  const client = await send(app, 'GET', '/v1/clients/c1');
  assert.deepEqual(client.json(), { id: 'c1', online: false, lastSeen: null, pending: 1, hpkeKey: null });
  assertError(await send(app, 'GET', '/v1/clients/c2'), 'ERR_NOT_FOUND');
});

test('a missing or malformed Authorization header is ERR_AUTH_MISSING', async (t) => {
  const { app } = await fixture(t);
  assertError(await app.inject({ method: 'GET', url: '/v1/clients/c1' }), 'ERR_AUTH_MISSING');
  assertError(await app.inject({ method: 'GET', url: '/v1/clients/c1', headers: { authorization: 'Bearer x' } }), 'ERR_AUTH_MISSING');
  // Auth comes first: no body error is reported to an unauthenticated caller.
  const junk = await app.inject({ method: 'POST', url: '/v1/messages', headers: { 'content-type': 'text/plain' }, payload: '{' });
  assertError(junk, 'ERR_AUTH_MISSING');
});

test('a forged signature, an altered request or an unknown app is ERR_AUTH_SIGNATURE', async (t) => {
  const { app } = await fixture(t);
  const body = { to: 'c1', data: 1 };
  assertError(await send(app, 'POST', '/v1/messages', body, { key: new Uint8Array(32) }), 'ERR_AUTH_SIGNATURE');
  assertError(await send(app, 'POST', '/v1/messages', body, { signedBody: '{}' }), 'ERR_AUTH_SIGNATURE');
  assertError(await send(app, 'POST', '/v1/messages', body, { appId: 'app_unknown' }), 'ERR_AUTH_SIGNATURE');
  const moved = await app.inject({
    method: 'GET',
    url: '/v1/clients/c1',
    headers: { authorization: authorization('GET', '/v1/clients/c2', '') },
  });
  assertError(moved, 'ERR_AUTH_SIGNATURE');
  // A malformed body under a bad signature still reports the signature.
  assertError(await send(app, 'POST', '/v1/messages', '{', { key: new Uint8Array(32) }), 'ERR_AUTH_SIGNATURE');
});

test('a timestamp outside the 300 s window is ERR_AUTH_EXPIRED', async (t) => {
  const { app } = await fixture(t);
  const now = NOW_MS / 1000;
  assertError(await send(app, 'GET', '/v1/clients/c1', undefined, { ts: now - 301 }), 'ERR_AUTH_EXPIRED');
  assertError(await send(app, 'GET', '/v1/clients/c1', undefined, { ts: now + 301 }), 'ERR_AUTH_EXPIRED');
  assert.equal((await send(app, 'GET', '/v1/clients/c1', undefined, { ts: now - 300 })).statusCode, 200);
  assert.equal((await send(app, 'GET', '/v1/clients/c1', undefined, { ts: now + 300 })).statusCode, 200);
});

test('a replayed nonce is ERR_AUTH_REPLAY; a refused request burns no nonce', async (t) => {
  const { app } = await fixture(t);
  const nonce = randomBytes(16).toString('base64url');
  const body = { to: 'c1', data: 1 };
  assertError(await send(app, 'POST', '/v1/messages', body, { nonce, key: new Uint8Array(32) }), 'ERR_AUTH_SIGNATURE');
  assertError(await send(app, 'POST', '/v1/messages', body, { nonce, ts: NOW_MS / 1000 - 999 }), 'ERR_AUTH_EXPIRED');
  assert.equal((await send(app, 'POST', '/v1/messages', body, { nonce })).statusCode, 202);
  assertError(await send(app, 'POST', '/v1/messages', body, { nonce }), 'ERR_AUTH_REPLAY');
});

test('a nonce claim that rejects is 503 ERR_UNAVAILABLE with Retry-After, never a pass or a 500, and publishes nothing', async (t) => {
  // As a shared cache fails when unreachable: a plain error, not one of the catalogue.
  const unreachable: NonceCache = { claim: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')), close: async () => {} };
  const { app, api } = await fixture(t, undefined, unreachable);
  for (const url of ['/v1/messages', '/v1/messages/batch']) {
    const body = url.endsWith('batch') ? { messages: [{ to: 'c1', data: 1 }] } : { to: 'c1', data: 1 };
    const res = await send(app, 'POST', url, body);
    assertError(res, 'ERR_UNAVAILABLE');
    assert.equal(res.headers['retry-after'], '1');
  }
  assertError(await send(app, 'GET', '/v1/clients/c1'), 'ERR_UNAVAILABLE');
  assert.equal(api.messages.size, 0, 'nothing was accepted');
});

test('malformed JSON after valid auth is ERR_BAD_REQUEST', async (t) => {
  const { app } = await fixture(t);
  assertError(await send(app, 'POST', '/v1/messages', '{"to":'), 'ERR_BAD_REQUEST');
  assertError(await send(app, 'POST', '/v1/messages', ''), 'ERR_BAD_REQUEST');
  assertError(await send(app, 'POST', '/v1/messages', '\u00ff'), 'ERR_BAD_REQUEST');
});

test('a body over bodyLimitBytes is 413 ERR_TOO_LARGE', async (t) => {
  const { app } = await fixture(t, 1024);
  assertError(await send(app, 'POST', '/v1/messages', { to: 'c1', data: 'x'.repeat(2000) }), 'ERR_TOO_LARGE');
  assert.equal((await send(app, 'POST', '/v1/messages', { to: 'c1', data: 'x'.repeat(900) })).statusCode, 202);
});

test('a body that is not application/json is 415 ERR_UNSUPPORTED_MEDIA_TYPE', async (t) => {
  const { app } = await fixture(t);
  const body = { to: 'c1', data: 1 };
  assertError(await send(app, 'POST', '/v1/messages', body, { contentType: 'text/plain' }), 'ERR_UNSUPPORTED_MEDIA_TYPE');
  const charset = await send(app, 'POST', '/v1/messages', body, { contentType: 'application/json; charset=utf-8' });
  assert.equal(charset.statusCode, 202);
});

test('an unknown route is ERR_NOT_FOUND in the catalogue shape', async (t) => {
  const { app } = await fixture(t);
  assertError(await app.inject({ method: 'GET', url: '/nope' }), 'ERR_NOT_FOUND');
  assertError(await app.inject({ method: 'DELETE', url: '/healthz' }), 'ERR_NOT_FOUND');
  assertError(await send(app, 'GET', '/v1/nope'), 'ERR_NOT_FOUND');
});

test('while draining, publishing is 503 ERR_UNAVAILABLE with Retry-After; reads still work', async (t) => {
  const { app, state } = await fixture(t);
  assert.deepEqual((await app.inject({ method: 'GET', url: '/readyz' })).json(), { ready: true });
  state.ready = false;
  const single = await send(app, 'POST', '/v1/messages', { to: 'c1', data: 1 });
  assertError(single, 'ERR_UNAVAILABLE');
  assert.equal(single.headers['retry-after'], '1');
  assertError(await send(app, 'POST', '/v1/messages/batch', { messages: [{ to: 'c1', data: 1 }] }), 'ERR_UNAVAILABLE');
  assertError(await app.inject({ method: 'GET', url: '/readyz' }), 'ERR_UNAVAILABLE');
  assert.deepEqual((await app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
  assert.equal((await send(app, 'GET', '/v1/clients/c1')).statusCode, 200);
});

test('an unexpected failure is 500 ERR_INTERNAL, logged without body or credentials', async (t) => {
  const { app, api, logs } = await fixture(t);
  api.failWith = new Error('disk on fire');
  const res = await send(app, 'POST', '/v1/messages', { to: 'c1', data: 'very-secret-payload' });
  assertError(res, 'ERR_INTERNAL');
  assert.doesNotMatch(res.body, /disk on fire/);
  const text = logs.join('');
  assert.match(text, /disk on fire/);
  assert.doesNotMatch(text, /very-secret-payload/);
  assert.doesNotMatch(text, /SEALPUSH-HMAC-SHA256/);
});

test('buildHttpApp refuses a nonsensical body limit', () => {
  const deps = {
    api: new TestPushApi(),
    secrets: { secretsFor: async () => [] },
    nonces: new TestNonces(),
    readiness: { ready: async () => true },
    clock: { now: () => NOW_MS },
    logger: pino({ level: 'silent' }),
  };
  assert.throws(() => buildHttpApp({ ...deps, limits: { bodyLimitBytes: 0 } }), RangeError);
});

test('a request node:http cannot parse gets the same error shape on a real socket', async (t) => {
  const { app } = await fixture(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  socket.end('NOT-HTTP\r\n\r\n');
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const answer = Buffer.concat(chunks).toString();
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.deepEqual(Object.keys(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error).sort(), ['code', 'message']);
});
