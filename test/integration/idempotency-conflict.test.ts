import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { RequestSigner } from '../../src/app/signing.js';
import type { Message } from '../../src/client/index.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

/*
 * An idempotency key (a message `id`) reused with other parameters is refused, as Stripe does:
 * 409 ERR_IDEMPOTENCY_CONFLICT, nothing stored or sent; the same parameters answer as the first
 * message. Played against a real server: the publisher's raw requests, then what the clients got.
 */
describe('an idempotency key reused with other parameters is refused (409 ERR_IDEMPOTENCY_CONFLICT)', () => {
  let server: TestServer;
  let app: SealPushApp;
  const open: SealPushClient[] = [];

  async function client(): Promise<{ c: SealPushClient; got: Message[] }> {
    const c = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    open.push(c);
    const got: Message[] = [];
    c.on('message', (m) => got.push(m));
    return { c, got };
  }

  async function post(path: string, body: unknown): Promise<{ status: number; json: any }> {
    const text = JSON.stringify(body);
    const signer = new RequestSigner(server.app.appId, server.app.secret);
    const authorization = await signer.authorization({ method: 'POST', pathWithQuery: path, body: new TextEncoder().encode(text) });
    const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: text });
    return { status: res.status, json: await res.json() };
  }

  /** Publishes a marker and waits until `got` holds it: everything sent before it has arrived. */
  async function settle(c: SealPushClient, got: Message[]): Promise<unknown[]> {
    const marker = await app.publish({ to: c.clientId, data: 'marker' });
    await eventually(async () => (got.some((m) => m.id === marker.id) ? true : undefined), 'marker delivered');
    return got.filter((m) => m.id !== marker.id).map((m) => m.data);
  }

  before(async () => {
    server = await startTestServer();
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await server.close();
  });

  test('single publish: same parameters answer as before; another to, data or ttl is 409 and changes nothing', async () => {
    const a = await client();
    const b = await client();
    const original = { to: a.c.clientId, data: { order: 7, paid: true }, ttl: 600, id: 'order-7' };
    const first = await post('/v1/messages', original);
    assert.equal(first.status, 202);
    assert.equal(first.json.id, 'order-7');
    const again = await post('/v1/messages', { ...original, data: { order: 7, paid: true } });
    assert.equal(again.status, 202, 'the same parameters answer as the first message');
    assert.equal(again.json.id, 'order-7');
    for (const changed of [{ to: b.c.clientId }, { data: { order: 7, paid: false } }, { data: 'order 7' }, { ttl: 601 }, { ttl: undefined }]) {
      const res = await post('/v1/messages', { ...original, ...changed });
      assert.equal(res.status, 409, `changed ${JSON.stringify(changed)}`);
      assert.equal(res.json.error.code, 'ERR_IDEMPOTENCY_CONFLICT');
    }
    await assert.rejects(app.publish({ ...original, data: 'other' }), { name: 'SealPushError', code: 'ERR_IDEMPOTENCY_CONFLICT' });
    const status = await app.status('order-7');
    assert.equal(status.to, a.c.clientId, 'the original message is untouched');
    assert.equal(Date.parse(status.expiresAt) - Date.parse(status.createdAt), 600_000);
    assert.deepEqual(await settle(a.c, a.got), [{ order: 7, paid: true }], 'the original is delivered once');
    assert.deepEqual(await settle(b.c, b.got), [], 'the other client got nothing');
    await eventually(async () => ((await app.status('order-7')).status === 'acked' ? true : undefined), 'order-7 acked');
    const afterAck = await post('/v1/messages', original);
    assert.equal(afterAck.status, 202, 'its payload is erased on ack: the fingerprint still answers');
    assert.equal(afterAck.json.status, 'acked');
    const conflict = await post('/v1/messages', { ...original, data: { order: 8 } });
    assert.equal(conflict.json.error?.code, 'ERR_IDEMPOTENCY_CONFLICT', 'and still refuses other data');
  });

  test('batch: each reused id is judged on its own slot, the rest of the batch is accepted', async () => {
    const a = await client();
    const b = await client();
    const original = { to: a.c.clientId, data: ['x', 1], id: 'batch-1' };
    assert.equal((await post('/v1/messages', original)).status, 202);
    const { status, json } = await post('/v1/messages/batch', {
      messages: [original, { ...original, data: ['x', 2] }, { ...original, to: b.c.clientId }, { ...original, ttl: 5 }, { to: a.c.clientId, data: 'fresh', id: 'batch-2' }],
    });
    assert.equal(status, 202);
    const codes = json.results.map((r: { status?: string; error?: { code: string } }) => r.error?.code ?? r.status);
    assert.deepEqual(codes, ['queued', 'ERR_IDEMPOTENCY_CONFLICT', 'ERR_IDEMPOTENCY_CONFLICT', 'ERR_IDEMPOTENCY_CONFLICT', 'queued']);
    const within = await app.publishBatch([{ to: a.c.clientId, data: 'w', id: 'batch-3' }, { to: a.c.clientId, data: 'v', id: 'batch-3' }]);
    assert.deepEqual(within.map((r) => ('error' in r ? r.error.code : r.status)), ['queued', 'ERR_IDEMPOTENCY_CONFLICT'], 'a later item of the same batch too');
    assert.deepEqual(await settle(a.c, a.got), [['x', 1], 'fresh', 'w']);
    assert.deepEqual(await settle(b.c, b.got), []);
  });

  test('a relay-blind message is sealed anew on every publish: its retry with the same id is not a conflict', async () => {
    const a = await client();
    const sealed = { to: a.c.clientId, data: { secret: 1 }, id: 'sealed-1', seal: true } as const;
    const first = await app.publish(sealed);
    const again = await app.publish(sealed);
    assert.equal(again.id, first.id);
    await assert.rejects(app.publish({ ...sealed, ttl: 60 }), { code: 'ERR_IDEMPOTENCY_CONFLICT' }, 'its ttl and recipient still count');
    assert.deepEqual(await settle(a.c, a.got), [{ secret: 1 }]);
  });
});
