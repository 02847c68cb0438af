import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as webConnect, type SealPushClient } from '../../src/client/index.js';
import { connect as nodeConnect } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { collect, once } from '../helpers/messages.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

// The whole flow runs once per entry of sealpush/client: WebCrypto (browsers) and node:crypto (Node).
for (const [entry, connect] of [['WebCrypto entry', webConnect], ['node:crypto entry', nodeConnect]] as const) {
  describe(`secure push flow, end to end on the embedded default (${entry})`, () => {
    let server: TestServer;
    let app: SealPushApp;
    const open: SealPushClient[] = [];

    async function client(options: Partial<Parameters<typeof connect>[0]> = {}): Promise<SealPushClient> {
      const c = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, ...options });
      open.push(c);
      return c;
    }

    before(async () => {
      server = await startTestServer();
      app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
    });
    after(async () => {
      await Promise.all(open.map((c) => c.close()));
      await server.close();
    });

    test('a connected client receives, decrypted, what the app publishes; status moves to acked', async () => {
      const c = await client();
      assert.match(c.clientId, /^[A-Za-z0-9_-]{24,}$/, 'client id carries at least 128 random bits');
      const arriving = collect(c, 1);
      const accepted = await app.publish({ to: c.clientId, data: { invoice: 42, paid: true } });
      assert.equal(accepted.status, 'queued');
      const [message] = await arriving;
      assert.deepEqual(message!.data, { invoice: 42, paid: true });
      assert.equal(message!.id, accepted.id);
      assert.ok(!Number.isNaN(Date.parse(message!.createdAt)));
      const acked = await eventually(async () => {
        const s = await app.status(accepted.id);
        return s.status === 'acked' ? s : undefined;
      }, 'status acked');
      assert.ok(acked.deliveredAt !== null && acked.ackedAt !== null);
      const info = await app.client(c.clientId);
      assert.deepEqual({ online: info.online, pending: info.pending }, { online: true, pending: 0 });
    });

    test('a batch reaches each client in publish order, exactly once', async () => {
      const [a, b] = [await client(), await client()];
      const toA = collect(a, 60);
      const toB = collect(b, 40);
      const batch = Array.from({ length: 100 }, (_, i) => ({ to: i % 5 < 3 ? a.clientId : b.clientId, data: { n: i } }));
      const results = await app.publishBatch(batch);
      assert.equal(results.length, 100);
      assert.ok(results.every((r) => 'id' in r && r.status === 'queued'));
      const expectA = batch.filter((m) => m.to === a.clientId).map((m) => m.data);
      const expectB = batch.filter((m) => m.to === b.clientId).map((m) => m.data);
      assert.deepEqual((await toA).map((m) => m.data), expectA);
      assert.deepEqual((await toB).map((m) => m.data), expectB);
    });

    test('messages that arrive before a listener is attached are held for the first listener', async () => {
      const c = await client();
      const { id } = await app.publish({ to: c.clientId, data: 'early' });
      // Delivered to the socket (so it reached the SDK) before anyone listens.
      await eventually(async () => ((await app.status(id)).status === 'delivered' ? true : undefined), 'delivered');
      const [message] = await collect(c, 1);
      assert.equal(message!.data, 'early');
      await eventually(async () => ((await app.status(id)).status === 'acked' ? true : undefined), 'acked after hand-over');
    });

    test('offline, then resume: everything published meanwhile arrives once, in order, under the same id', async () => {
      const first = await client();
      const session = first.session();
      await first.close();
      const sent = [];
      for (let i = 0; i < 30; i++) sent.push((await app.publish({ to: session.clientId, data: { step: i } })).id);
      assert.equal((await app.client(session.clientId)).online, false);
      assert.equal((await app.client(session.clientId)).pending, 30);

      const again = await client({ session });
      assert.equal(again.clientId, session.clientId);
      const received = await collect(again, 30);
      assert.deepEqual(received.map((m) => m.id), sent);
      await eventually(async () => ((await app.client(session.clientId)).pending === 0 ? true : undefined), 'all acked');

      // A second resume from the newest session gets nothing again.
      const newest = again.session();
      assert.equal(newest.lastSeq, received.at(-1)!.seq);
      await again.close();
      const third = await client({ session: newest });
      let extra = 0;
      third.on('message', () => extra++);
      const marker = collect(third, 1);
      await app.publish({ to: newest.clientId, data: 'marker' });
      assert.equal((await marker)[0]!.data, 'marker');
      assert.equal(extra, 1, 'only the new message arrived');
    });

    test('the idempotency key dedups: the same id again returns the first message, never a second one', async () => {
      const c = await client();
      const got: unknown[] = [];
      c.on('message', (m) => got.push(m.data));
      const first = await app.publish({ to: c.clientId, data: 'once', id: 'job-7-result' });
      const second = await app.publish({ to: c.clientId, data: 'once', id: 'job-7-result' });
      await assert.rejects(app.publish({ to: c.clientId, data: 'twice?', id: 'job-7-result' }), { code: 'ERR_IDEMPOTENCY_CONFLICT' });
      assert.equal(first.id, 'job-7-result');
      assert.equal(second.id, 'job-7-result');
      const marker = await app.publish({ to: c.clientId, data: 'marker' });
      await eventually(async () => ((await app.status(marker.id)).status === 'acked' ? true : undefined), 'marker acked');
      assert.deepEqual(got, ['once', 'marker']);
    });

    test("an app addresses only its own clients: another app's client and message are 404", async () => {
      const c = await client();
      const { id } = await app.publish({ to: c.clientId, data: 'mine' });
      const other = await server.createApp('other-app');
      const intruder = new SealPushApp({ url: server.url, appId: other.appId, secret: other.secret });
      await assert.rejects(intruder.publish({ to: c.clientId, data: 'not yours' }), { code: 'ERR_NOT_FOUND' });
      await assert.rejects(intruder.client(c.clientId), { code: 'ERR_NOT_FOUND' });
      await assert.rejects(intruder.status(id), { code: 'ERR_NOT_FOUND' });
      const [result] = await intruder.publishBatch([{ to: c.clientId, data: 'x' }]);
      assert.equal('error' in result! && result.error.code, 'ERR_NOT_FOUND');
    });

    test('a batch with bad and unknown entries refuses only those slots', async () => {
      const c = await client();
      const arriving = collect(c, 2);
      const results = await app.publishBatch([
        { to: c.clientId, data: 1 },
        { to: 'no-such-client-000000000', data: 2 },
        { to: c.clientId } as unknown as { to: string; data: unknown },
        { to: c.clientId, data: 3, ttl: -5 },
        { to: c.clientId, data: 4 },
      ]);
      const codes = results.map((r) => ('error' in r ? r.error.code : r.status));
      assert.deepEqual(codes, ['queued', 'ERR_NOT_FOUND', 'ERR_BAD_REQUEST', 'ERR_BAD_REQUEST', 'queued']);
      assert.deepEqual((await arriving).map((m) => m.data), [1, 4]);
    });

    test('a newer connection with the same session replaces the older one', async () => {
      const first = await client();
      const replaced = once<{ code: number }>((l) => first.on('disconnected', l));
      const errored = once<{ code: string }>((l) => first.on('error', l));
      const second = await client({ session: first.session() });
      assert.equal(second.clientId, first.clientId);
      assert.equal((await replaced).code, 4506);
      assert.equal((await errored).code, 'ERR_SESSION_REPLACED');
      const arriving = collect(second, 1);
      await app.publish({ to: second.clientId, data: 'to the newer one' });
      assert.equal((await arriving)[0]!.data, 'to the newer one');
    });

    test('a wrong server key or an unknown app fails the handshake with its own code', async () => {
      const wrongKey = 'A'.repeat(42) + 'E';
      await assert.rejects(
        connect({ url: server.url, appId: server.app.appId, serverKey: wrongKey, reconnect: false }),
        { code: 'ERR_HANDSHAKE' },
      );
      await assert.rejects(
        connect({ url: server.url, appId: 'app_unknown', serverKey: server.identity.publicKey, reconnect: false }),
        { code: 'ERR_NOT_FOUND' },
      );
    });
  });
}
