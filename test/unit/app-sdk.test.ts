import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { buildHttpApp } from '../../src/transport/http/app.js';
import { SealPushApp, SealPushError, type MessageView, type PublishResult } from '../../src/app/index.js';
import type { NonceCache } from '../../src/domain/ports/nonce-cache.js';
import type { PushApi } from '../../src/domain/ports/push-api.js';

const APP = 'app_sdk';
const SECRET = randomBytes(32).toString('base64url');

/** A domain stand-in: client `c1` only; the same `id` returns the first message. */
function testApi(): PushApi & { seen: Array<{ appId: string; items: readonly unknown[] }> } {
  const messages = new Map<string, MessageView>();
  const seen: Array<{ appId: string; items: readonly unknown[] }> = [];
  return {
    seen,
    async publish(appId, items) {
      seen.push({ appId, items });
      return items.map((item): PublishResult => {
        const m = item as { to?: unknown; id?: unknown };
        if (m.to !== 'c1') return new SealPushError('ERR_NOT_FOUND').toJSON();
        const id = typeof m.id === 'string' ? m.id : `m${messages.size + 1}`;
        const at = new Date(0).toISOString();
        if (!messages.has(id)) {
          messages.set(id, { id, to: 'c1', status: 'queued', createdAt: at, expiresAt: at, deliveredAt: null, ackedAt: null });
        }
        return { id, status: messages.get(id)!.status };
      });
    },
    async messageStatus(_appId, id) {
      const view = messages.get(id);
      if (view === undefined) throw new SealPushError('ERR_NOT_FOUND');
      return view;
    },
    async messageReceipt(_appId, id) {
      throw new SealPushError(messages.has(id) ? 'ERR_NO_RECEIPT' : 'ERR_NOT_FOUND');
    },
    async clientInfo(_appId, id) {
      if (id !== 'c1') throw new SealPushError('ERR_NOT_FOUND');
      return { id, online: true, lastSeen: null, pending: messages.size, hpkeKey: null };
    },
    async forgetClient(_appId, id) {
      if (id !== 'c1') throw new SealPushError('ERR_NOT_FOUND');
      const messagesDeleted = messages.size;
      messages.clear();
      return { id, forgotten: true, messagesDeleted, receiptsDeleted: 0, forgottenAt: new Date(0).toISOString(), journalScrubbed: true };
    },
  };
}

function testNonces(): NonceCache {
  const seen = new Set<string>();
  return {
    claim: async (key) => (seen.has(key) ? false : (seen.add(key), true)),
    close: async () => {},
  };
}

/** A real server on 127.0.0.1:0 and an SDK pointed at it. */
async function serve(t: { after(fn: () => Promise<void>): void }, ready = true) {
  const api = testApi();
  const http = buildHttpApp({
    api,
    secrets: { secretsFor: async (appId) => (appId === APP ? [new Uint8Array(Buffer.from(SECRET, 'base64url'))] : []) },
    nonces: testNonces(),
    readiness: { ready: async () => ready },
    clock: { now: () => Date.now() },
    logger: pino({ level: 'silent' }),
  });
  t.after(() => http.close());
  await http.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  return { api, url, sdk: new SealPushApp({ url, appId: APP, secret: SECRET }) };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof SealPushError && err.code === code);
}

test('publish, then status and client', async (t) => {
  const { sdk, api } = await serve(t);
  const accepted = await sdk.publish({ to: 'c1', data: { total: 42 }, ttl: 60, id: 'order/7' });
  assert.deepEqual(accepted, { id: 'order/7', status: 'queued' });
  assert.deepEqual(api.seen[0], { appId: APP, items: [{ to: 'c1', data: { total: 42 }, ttl: 60, id: 'order/7' }] });
  const again = await sdk.publish({ to: 'c1', data: { total: 42 }, id: 'order/7' });
  assert.equal(again.id, 'order/7', 'a retry with the same id returns the first message');
  const view = await sdk.status('order/7');
  assert.equal(view.id, 'order/7');
  assert.equal(view.status, 'queued');
  assert.deepEqual(await sdk.client('c1'), { id: 'c1', online: true, lastSeen: null, pending: 1, hpkeKey: null });
});

test('publishBatch returns one result per message; refusals are results, not throws', async (t) => {
  const { sdk } = await serve(t);
  const results = await sdk.publishBatch([{ to: 'c1', data: 1 }, { to: 'stranger', data: 2 }]);
  assert.equal(results.length, 2);
  assert.equal((results[0] as { status: string }).status, 'queued');
  assert.equal((results[1] as { error: { code: string } }).error.code, 'ERR_NOT_FOUND');
  await rejectsWith(sdk.publishBatch([]), 'ERR_BAD_REQUEST');
});

test("the server's error codes surface as SealPushError.code", async (t) => {
  const { sdk, url } = await serve(t);
  await rejectsWith(sdk.publish({ to: 'stranger', data: 1 }), 'ERR_NOT_FOUND');
  await rejectsWith(sdk.status('missing'), 'ERR_NOT_FOUND');
  await rejectsWith(sdk.client('c2'), 'ERR_NOT_FOUND');
  const wrongSecret = new SealPushApp({ url, appId: APP, secret: randomBytes(32).toString('base64url') });
  await rejectsWith(wrongSecret.client('c1'), 'ERR_AUTH_SIGNATURE');
  const unknownApp = new SealPushApp({ url, appId: 'app_other', secret: SECRET });
  await rejectsWith(unknownApp.client('c1'), 'ERR_AUTH_SIGNATURE');
});

test('draining surfaces as ERR_UNAVAILABLE, with its Retry-After', async (t) => {
  const { url } = await serve(t, false);
  const sdk = new SealPushApp({ url, appId: APP, secret: SECRET, retry: false });
  await assert.rejects(sdk.publish({ to: 'c1', data: 1 }), (err: unknown) => err instanceof SealPushError && err.code === 'ERR_UNAVAILABLE' && err.retryAfterSeconds === 1);
});

test('a network failure or timeout is ERR_UNAVAILABLE; a non-sealpush answer maps by status', async () => {
  const refused: typeof fetch = async () => {
    throw new TypeError('fetch failed');
  };
  const down = new SealPushApp({ url: 'http://127.0.0.1:9', appId: APP, secret: SECRET, fetch: refused, retry: false });
  await rejectsWith(down.publish({ to: 'c1', data: 1 }), 'ERR_UNAVAILABLE');

  const hang: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
  const slow = new SealPushApp({ url: 'http://127.0.0.1:9', appId: APP, secret: SECRET, fetch: hang, timeoutMs: 20, retry: false });
  await rejectsWith(slow.status('m1'), 'ERR_UNAVAILABLE');

  const proxy: typeof fetch = async () => new Response('<html>Bad Gateway</html>', { status: 502 });
  const behindProxy = new SealPushApp({ url: 'http://127.0.0.1:9', appId: APP, secret: SECRET, fetch: proxy, retry: false });
  await rejectsWith(behindProxy.client('c1'), 'ERR_UNAVAILABLE');
});

test('ids are URL-encoded and signed as sent; a base path is kept', async () => {
  const urls: string[] = [];
  const record: typeof fetch = async (input, init) => {
    urls.push(String(input));
    assert.match(String(new Headers(init?.headers).get('authorization')), /^SEALPUSH-HMAC-SHA256 app=app_sdk,ts=\d+,nonce=/);
    return Response.json({ id: 'x', online: false, lastSeen: null, pending: 0 });
  };
  const sdk = new SealPushApp({ url: 'https://push.example.com/base/', appId: APP, secret: SECRET, fetch: record });
  await sdk.client('a b/c?d');
  assert.deepEqual(urls, ['https://push.example.com/base/v1/clients/a%20b%2Fc%3Fd']);
  await rejectsWith(sdk.status('..'), 'ERR_BAD_REQUEST');
  await rejectsWith(sdk.status(''), 'ERR_BAD_REQUEST');
});

test('bad options are refused at construction', () => {
  assert.throws(() => new SealPushApp({ url: 'not a url', appId: APP, secret: SECRET }), SealPushError);
  assert.throws(() => new SealPushApp({ url: 'ftp://x', appId: APP, secret: SECRET }), SealPushError);
  assert.throws(() => new SealPushApp({ url: 'http://x', appId: APP, secret: 'short' }), SealPushError);
  assert.throws(() => new SealPushApp({ url: 'http://x', appId: APP, secret: SECRET, timeoutMs: 0 }), SealPushError);
  for (const retry of [{ attempts: 0 }, { attempts: 1.5 }, { minDelayMs: -1 }, { minDelayMs: 100, maxDelayMs: 50 }, { maxDelayMs: Number.NaN }]) {
    assert.throws(() => new SealPushApp({ url: 'http://x', appId: APP, secret: SECRET, retry }), SealPushError, JSON.stringify(retry));
  }
});
