// Proof of delivery (docs/receipts.md) on a real server with the real SDK: the client signs its
// ACKs with an ack key only it holds; the receipt comes back through sealpush/app and checks
// out against the key the SDK exposes, and any edit of it does not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import pino from 'pino';
import { connect, type SealPushClient } from '../../src/client/index.js';
import { connect as connectNode } from '../../src/client/node.js';
import { SealPushApp, verifyReceipt, type ReceiptView } from '../../src/app/index.js';
import { parseConfig } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { ackSignedBytes, encodeCoveredList } from '../../src/crypto/ack-receipt.js';
import { base64urlDecode, base64urlEncode } from '../../src/crypto/encoding.js';
import { decodeServerFrame, encodeConfirm, encodeSignedAck } from '../../src/crypto/frames.js';
import { nodeAckKeyCrypto } from '../../src/crypto/node/ack-key.js';
import { sha256 } from '../../src/crypto/node/sha256.js';
import { FrameOpener, FrameSealer } from '../../src/crypto/node/frame-cipher.js';
import { nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';
import { collect } from '../helpers/messages.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';
import { WsProxy } from '../helpers/ws-proxy.js';
import { helloTo } from '../helpers/hello.js';

/** A hand-driven client: completes the handshake with an ack key, then does what the test says. */
async function rawClient(server: TestServer, ackKey: Uint8Array) {
  const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/v1/ws');
  const inbox: Buffer[] = [];
  const waiting: ((data: Buffer) => void)[] = [];
  ws.on('message', (data: Buffer) => (waiting.length > 0 ? waiting.shift()!(data) : inbox.push(data)));
  const next = (): Promise<Buffer> => new Promise((resolve) => (inbox.length > 0 ? resolve(inbox.shift()!) : waiting.push(resolve)));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve) => ws.once('open', resolve));
  const hello = await helloTo(server, { lastSeq: 0, ackKey });
  ws.send(hello.hello);
  const done = await hello.finish(new Uint8Array(await next()));
  const opener = new FrameOpener(done.receiveKey);
  const sealer = new FrameSealer(done.sendKey);
  ws.send(sealer.seal(encodeConfirm()));
  return {
    clientId: done.payload.clientId,
    signedAcks: done.payload.signedAcks,
    closed,
    /** The next DELIVER's messages (heartbeats skipped). */
    async deliver() {
      for (;;) {
        const frame = decodeServerFrame(opener.open(await next()));
        if (frame.type === 'deliver') return frame.messages;
      }
    },
    sendAck(seq: number, signature: Uint8Array) {
      ws.send(sealer.seal(encodeSignedAck(seq, signature)));
    },
    close: () => ws.close(),
  };
}

describe('signed ACKs and GET /v1/messages/:id/receipt', () => {
  let server: TestServer;
  let app: SealPushApp;
  const open: SealPushClient[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    server = await startTestServer({ markFlushMs: 20 });
    await server.updateApp(server.app.appId, { receipts: true });
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await Promise.all(open.map((c) => c.close()));
    await server.close();
  });

  async function sdkClient(options: Partial<Parameters<typeof connect>[0]> = {}): Promise<SealPushClient> {
    const c = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, ...options });
    open.push(c);
    return c;
  }

  const acked = (ids: string[]) =>
    eventually(async () => {
      const statuses = await Promise.all(ids.map(async (id) => (await app.status(id)).status));
      return statuses.every((s) => s === 'acked') ? true : undefined;
    }, `${ids.length} acked`);

  /** The close code, or 'acked' if the server took the ACK instead (the check under test is gone). */
  const closedOrAcked = (closed: Promise<number>, id: string): Promise<number | 'acked'> =>
    Promise.race([closed, acked([id]).then(() => 'acked' as const)]);

  test('delivered and acked messages have receipts that verify against the key the SDK exposes', async () => {
    const client = await sdkClient({ ackDelayMs: 0 });
    assert.match(client.ackKey, /^[A-Za-z0-9_-]{43}$/);
    assert.match(client.ackKeyFingerprint, /^[A-Za-z0-9_-]{16}$/);
    const arriving = collect(client, 3);
    const ids = [];
    for (const n of [1, 2, 3]) ids.push((await app.publish({ to: client.clientId, data: { n } })).id);
    await arriving;
    await acked(ids);
    for (const [i, id] of ids.entries()) {
      const receipt = await app.receipt(id);
      assert.equal(receipt.messageId, id);
      assert.equal(receipt.clientId, client.clientId);
      assert.equal(receipt.appId, server.app.appId);
      assert.equal(receipt.seq, i + 1);
      assert.equal(receipt.ackKey, client.ackKey);
      assert.ok(receipt.receipt.messages.some((m) => m.id === id && m.seq === i + 1));
      assert.deepEqual(await verifyReceipt(receipt, client.ackKey), { valid: true }, id);
    }
  });

  test('an edited receipt fails verifyReceipt: a signature byte, the message list, uptoSeq, fromSeq, the client, the key', async () => {
    const client = await sdkClient({ ackDelayMs: 10_000, ackEvery: 2 });
    const arriving = collect(client, 2);
    const ids = [(await app.publish({ to: client.clientId, data: 'a' })).id, (await app.publish({ to: client.clientId, data: 'b' })).id];
    await arriving;
    await acked(ids);
    const good = await app.receipt(ids[0]!);
    assert.equal(good.receipt.messages.length, 2, 'one ACK covered both');
    assert.deepEqual(await verifyReceipt(good, client.ackKey), { valid: true });

    const edit = (change: (r: { -readonly [K in keyof ReceiptView['receipt']]: ReceiptView['receipt'][K] }) => void, top: Partial<ReceiptView> = {}): ReceiptView => {
      const copy = structuredClone(good) as ReceiptView & { receipt: { -readonly [K in keyof ReceiptView['receipt']]: ReceiptView['receipt'][K] } };
      change(copy.receipt);
      return { ...copy, ...top };
    };
    const signature = base64urlDecode(good.receipt.signature);
    signature[10]! ^= 0x01;
    const other = await nodeAckKeyCrypto.generate();
    const tampered: [string, ReceiptView, string?][] = [
      ['a signature byte', edit((r) => (r.signature = base64urlEncode(signature)))],
      ['a message id', edit((r) => (r.messages = r.messages.map((m, i) => (i === 1 ? { ...m, id: `${m.id}x` } : m))))],
      ['a dropped message', edit((r) => (r.messages = r.messages.slice(0, 1)))],
      ['uptoSeq', edit((r) => (r.uptoSeq += 1))],
      ['fromSeq', edit((r) => (r.fromSeq = 1))],
      ['the client id', edit(() => undefined, { clientId: `${good.clientId}x` })],
      ['the message it is for', edit(() => undefined, { messageId: 'not-covered' })],
      ['the key', good, base64urlEncode(other.publicKey)],
    ];
    for (const [what, receipt, key] of tampered) {
      const verdict = await verifyReceipt(receipt, key ?? client.ackKey);
      assert.equal(verdict.valid, false, `${what} edited still verifies`);
    }
  });

  test('a forged ACK (a wrong signature) is refused with ERR_PROTOCOL and acks nothing; a right one acks and is kept', async () => {
    const key = await nodeAckKeyCrypto.generate();
    const raw = await rawClient(server, key.publicKey);
    assert.equal(raw.signedAcks, true);
    const { id } = await app.publish({ to: raw.clientId, data: 'forge me' });
    const [message] = await raw.deliver();
    assert.equal(message!.id, id);
    const statement = { appId: server.app.appId, clientId: raw.clientId, fromSeq: 0, uptoSeq: 1 };
    const digest = sha256(encodeCoveredList([{ seq: 1, id }]));
    const forger = await nodeAckKeyCrypto.generate();
    raw.sendAck(1, await forger.sign(ackSignedBytes(statement, digest)));
    assert.equal(await closedOrAcked(raw.closed, id), 4501, 'ERR_PROTOCOL');
    await eventually(async () => ((await app.status(id)).status === 'delivered' ? true : undefined), 'delivered mark');
    await assert.rejects(app.receipt(id), { code: 'ERR_NO_RECEIPT' });
    assert.equal((await app.status(id)).status, 'delivered', 'the forged ACK acked nothing');
  });

  test('a signature over another list (a message it did not get) is refused: the server signs nothing for the client', async () => {
    const key = await nodeAckKeyCrypto.generate();
    const raw = await rawClient(server, key.publicKey);
    const first = await app.publish({ to: raw.clientId, data: 1 });
    await raw.deliver();
    // Signed by the right key, but over a list the connection never delivered.
    const statement = { appId: server.app.appId, clientId: raw.clientId, fromSeq: 0, uptoSeq: 1 };
    raw.sendAck(1, await key.sign(ackSignedBytes(statement, sha256(encodeCoveredList([{ seq: 1, id: 'other' }])))));
    assert.equal(await closedOrAcked(raw.closed, first.id), 4501);
    await assert.rejects(app.receipt(first.id), { code: 'ERR_NO_RECEIPT' });

    const honest = await rawClient(server, key.publicKey);
    assert.notEqual(honest.clientId, raw.clientId, 'a new static key is a new client');
    const { id } = await app.publish({ to: honest.clientId, data: 2 });
    await honest.deliver();
    const good = { appId: server.app.appId, clientId: honest.clientId, fromSeq: 0, uptoSeq: 1 };
    honest.sendAck(1, await key.sign(ackSignedBytes(good, sha256(encodeCoveredList([{ seq: 1, id }])))));
    await acked([id]);
    assert.deepEqual(await verifyReceipt(await app.receipt(id), key.publicKey), { valid: true });
    honest.close();
    await honest.closed;
  });

  test('messages resent after a reconnect are covered by the new connection’s receipt', async () => {
    // The first connection's ACK is corrupted on the way (the hello and CONFIRM pass): the server
    // closes it (ERR_FRAME) before acking anything; the client reconnects holding both messages.
    const proxy = await WsProxy.start(server.url, {
      toServer: (data, i) => {
        if (i <= 1) return data;
        const copy = Buffer.from(data);
        copy[copy.length - 1]! ^= 0x01;
        return copy;
      },
    });
    cleanups.push(() => proxy.close());
    const client = await connect({
      url: proxy.url,
      appId: server.app.appId,
      serverKey: server.identity.publicKey,
      ackDelayMs: 20,
      reconnect: { minDelayMs: 20, maxDelayMs: 100 },
    });
    open.push(client);
    const arriving = collect(client, 2);
    // One batch: one commit, so both go out in one DELIVER and one ACK covers them.
    const results = await app.publishBatch([{ to: client.clientId, data: 'x' }, { to: client.clientId, data: 'y' }]);
    const ids = results.map((r) => ('id' in r ? r.id : assert.fail('refused')));
    const received = await arriving;
    assert.deepEqual(received.map((m) => m.data), ['x', 'y'], 'handed over once, before the reconnect');
    await acked(ids);
    assert.deepEqual(proxy.closes.slice(0, 1), [4100], 'the first connection ended with ERR_FRAME');
    for (const id of ids) {
      const receipt = await app.receipt(id);
      assert.deepEqual(receipt.receipt.messages.map((m) => m.id), ids);
      assert.deepEqual(await verifyReceipt(receipt, client.ackKey), { valid: true });
    }
  });

  test('a client cannot register another ack key: that hello is refused with ERR_ACK_KEY_MISMATCH', async () => {
    const client = await sdkClient();
    const session = client.session();
    await client.close();
    const other = await nodeAckKeyCrypto.generate();
    await assert.rejects(
      connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, session: { ...session, ackKey: base64urlEncode(other.seed) }, reconnect: false }),
      { code: 'ERR_ACK_KEY_MISMATCH' },
    );
    // The saved key still works, and is the one sealpush holds.
    const again = await sdkClient({ session });
    assert.equal(again.clientId, session.clientId);
    assert.equal(again.ackKey, client.ackKey);
  });

  test('a client registered without an ack key (an older SDK) gets plain ACKs and no receipts; its session in a newer SDK registers one', async () => {
    // An SDK without receipts: its hello carries no ackKey.
    const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/v1/ws');
    await new Promise((resolve) => ws.once('open', resolve));
    const staticKey = await nodeNoiseCrypto.generateKeyPair();
    const hello = await helloTo(server, { lastSeq: 0 }, staticKey);
    const reply = new Promise<Buffer>((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
    ws.send(hello.hello);
    const done = await hello.finish(new Uint8Array(await reply));
    assert.equal(done.payload.signedAcks, undefined, 'plain ACKs');
    const sealer = new FrameSealer(done.sendKey);
    ws.send(sealer.seal(encodeConfirm()));
    const { id: plain } = await app.publish({ to: done.payload.clientId, data: 'old' });
    await eventually(async () => ((await app.status(plain)).status === 'delivered' ? true : undefined), 'delivered');
    ws.send(sealer.seal(encodeSignedAck(1, new Uint8Array(64))));
    assert.equal(await new Promise<number>((resolve) => ws.once('close', (code) => resolve(code))), 4501, 'a SIGNED_ACK where none was agreed');

    // The same client in a newer SDK: its saved session has no ackKey, so one is made and registered.
    const session = { v: 1 as const, appId: server.app.appId, clientId: done.payload.clientId, staticKey: base64urlEncode(staticKey.privateKey), lastSeq: 0 };
    const upgraded = await sdkClient({ session, ackDelayMs: 0 });
    assert.equal(upgraded.clientId, done.payload.clientId);
    const arriving = collect(upgraded, 1);
    await arriving;
    await acked([plain]);
    assert.deepEqual(await verifyReceipt(await app.receipt(plain), upgraded.ackKey), { valid: true }, 'resent and signed for');
    assert.equal(upgraded.session().ackKey?.length, 43, 'the key is in the saved session');
  });

  test('cohort delivery signs its per-envelope ACKs too, and its receipts verify (Node entry)', async () => {
    const core = await openCore(parseConfig({ dataDir: server.dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
    let cohortApp;
    try {
      cohortApp = await core.apps.create('cohort-receipts');
      await core.apps.update(cohortApp.appId, { delivery: 'cohort', cohort: { tickMs: 50, cohortSize: 4, slotCounts: [4] }, receipts: true });
    } finally {
      await core.close();
    }
    const publisher = new SealPushApp({ url: server.url, appId: cohortApp.appId, secret: cohortApp.secret });
    const client = await connectNode({ url: server.url, appId: cohortApp.appId, serverKey: server.identity.publicKey });
    cleanups.push(() => client.close());
    const arriving = collect(client, 2);
    const ids = [(await publisher.publish({ to: client.clientId, data: 1 })).id, (await publisher.publish({ to: client.clientId, data: 2 })).id];
    await arriving;
    await eventually(async () => {
      const statuses = await Promise.all(ids.map(async (id) => (await publisher.status(id)).status));
      return statuses.every((s) => s === 'acked') ? true : undefined;
    }, 'cohort messages acked');
    for (const id of ids) assert.deepEqual(await verifyReceipt(await publisher.receipt(id), client.ackKey), { valid: true });
  });

  test('the receipt route: ERR_NOT_FOUND for an unknown or another app’s message, ERR_NO_RECEIPT before the ack', async () => {
    await assert.rejects(app.receipt('no-such-message'), { code: 'ERR_NOT_FOUND' });
    const other = await server.createApp('other-receipts');
    const otherApp = new SealPushApp({ url: server.url, appId: other.appId, secret: other.secret });
    const client = await sdkClient();
    const { id } = await app.publish({ to: client.clientId, data: 'mine' });
    await assert.rejects(otherApp.receipt(id), { code: 'ERR_NOT_FOUND' });
    const raw = await rawClient(server, (await nodeAckKeyCrypto.generate()).publicKey);
    const pending = await app.publish({ to: raw.clientId, data: 'unacked' });
    await raw.deliver();
    await assert.rejects(app.receipt(pending.id), { code: 'ERR_NO_RECEIPT' });
    raw.close();
    await raw.closed;
  });
});
