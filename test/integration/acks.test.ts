import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ConnectOptions, type Message, type SealPushClient } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';
import { WsProxy } from '../helpers/ws-proxy.js';

/** The SDK coalesces ACKs: one cumulative ACK per ackEvery messages or ackDelayMs, whichever comes first. */
describe('client ACK coalescing (ackDelayMs, ackEvery)', () => {
  let server: TestServer;
  let app: SealPushApp;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    // Marks reach the store within 20 ms, so an ACK that went shows as 'acked' almost at once.
    server = await startTestServer({ markFlushMs: 20 });
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await server.close();
  });

  /** A client behind a proxy that records when each DELIVER reaches it and each ACK leaves it. */
  async function watchedClient(options: Partial<ConnectOptions>) {
    const delivers: number[] = [];
    const acks: number[] = [];
    // Not counted: the handshake reply, the HEARTBEAT that opens the session and the TICKET that
    // follows it (counting starts once the client holds its ticket); the hello and the CONFIRM.
    let counting = false;
    const proxy = await WsProxy.start(server.url, {
      toClient: (data) => (counting && delivers.push(performance.now()), data),
      toServer: (data, i) => (i > 1 && acks.push(performance.now()), data),
    });
    const client = await connect({ url: proxy.url, appId: server.app.appId, serverKey: server.identity.publicKey, ...options });
    if (client.session().ticket === undefined) await new Promise<void>((resolve) => client.on('session', (s) => s.ticket && resolve()));
    counting = true;
    const received: Message[] = [];
    client.on('message', (m) => received.push(m));
    cleanups.push(async () => {
      await client.close();
      await proxy.close();
    });
    return { client, received, delivers, acks };
  }

  async function publishOne(client: SealPushClient, received: Message[], data: unknown): Promise<string> {
    const before = received.length;
    const { id } = await app.publish({ to: client.clientId, data });
    await eventually(async () => (received.length > before ? true : undefined), `message ${JSON.stringify(data)}`, 5_000);
    return id;
  }

  const statuses = (ids: string[]) => Promise.all(ids.map(async (id) => (await app.status(id)).status));

  /** Waits until every message has `status`; well under any 10 s ackDelayMs, so a timer cannot be what got it there. */
  const allReach = (ids: string[], status: string) =>
    eventually(async () => ((await statuses(ids)).every((s) => s === status) ? true : undefined), `${ids.length} ${status}`, 5_000);

  test('ackEvery 3: two messages stay delivered; the third sends one ACK for all three, long before ackDelayMs', async () => {
    const { client, received, acks } = await watchedClient({ ackDelayMs: 10_000, ackEvery: 3 });
    const ids = [await publishOne(client, received, 1), await publishOne(client, received, 2)];
    await allReach(ids, 'delivered');
    assert.deepEqual(await statuses(ids), ['delivered', 'delivered'], 'two messages are below ackEvery');
    assert.equal(acks.length, 0, 'no ACK went for two messages');

    ids.push(await publishOne(client, received, 3));
    await allReach(ids, 'acked');
    // The client sends its ACKs in order on one socket, so an ACK for the first two would have
    // reached the proxy before the third's: seeing one ACK in all proves none went for two.
    assert.equal(acks.length, 1, 'one ACK carried all three');
  });

  test('by default a single message is acked, after a short delay', async () => {
    const { client, received, delivers, acks } = await watchedClient({});
    const id = await publishOne(client, received, 'alone');
    await allReach([id], 'acked');
    assert.equal(delivers.length, 1);
    assert.equal(acks.length, 1);
    // The default ackDelayMs is 100; the DELIVER reached the proxy before the client started waiting.
    assert.ok(acks[0]! - delivers[0]! >= 90, `ACK ${Math.round(acks[0]! - delivers[0]!)} ms after the DELIVER`);
  });

  test('ackDelayMs 0 acks every hand-over at once', async () => {
    const { client, received, acks } = await watchedClient({ ackDelayMs: 0 });
    const ids = [await publishOne(client, received, 'first'), await publishOne(client, received, 'second')];
    await allReach(ids, 'acked');
    assert.equal(acks.length, 2, 'one ACK per hand-over');
  });

  test('close() sends the pending ACK before closing the socket', async () => {
    const { client, received, acks } = await watchedClient({ ackDelayMs: 10_000 });
    const id = await publishOne(client, received, 'last words');
    await allReach([id], 'delivered');
    assert.equal(acks.length, 0, 'the ACK is pending');
    await client.close();
    assert.equal(acks.length, 1, 'the ACK left before the close');
    await allReach([id], 'acked');
  });

  test('ackDelayMs and ackEvery outside their range are refused with ERR_BAD_REQUEST', async () => {
    const base = { url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, reconnect: false as const };
    const bad: Partial<ConnectOptions>[] = [
      { ackDelayMs: -1 },
      { ackDelayMs: 1.5 },
      { ackDelayMs: Number.NaN },
      { ackDelayMs: 2 ** 31 },
      { ackEvery: 0 },
      { ackEvery: 2.5 },
      { ackEvery: Number.POSITIVE_INFINITY },
      { ackEvery: '8' as unknown as number },
    ];
    for (const options of bad) {
      await assert.rejects(connect({ ...base, ...options }), { code: 'ERR_BAD_REQUEST' }, JSON.stringify(options));
    }
  });
});
