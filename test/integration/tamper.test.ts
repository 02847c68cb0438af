import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { connect, type SealPushClient } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { PROTOCOL_VERSION } from '../../src/crypto/hello.js';
import { collect, once } from '../helpers/messages.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';
import { WsProxy, type ProxyHooks } from '../helpers/ws-proxy.js';

/** Frames that fail to open close the connection with ERR_FRAME (4100) and change nothing. */
describe('a man in the middle can neither alter, replay, reorder nor truncate frames', () => {
  let server: TestServer;
  let app: SealPushApp;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    server = await startTestServer();
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await server.close();
  });

  async function throughProxy(hooks: ProxyHooks, reconnect = true): Promise<{ client: SealPushClient; proxy: WsProxy }> {
    const proxy = await WsProxy.start(server.url, hooks);
    const client = await connect({
      url: proxy.url,
      appId: server.app.appId,
      serverKey: server.identity.publicKey,
      reconnect: reconnect ? { minDelayMs: 20, maxDelayMs: 100 } : false,
      // The ACK tampering below needs one ACK per message, as the SDK sent before coalescing.
      ackDelayMs: 0,
    });
    cleanups.push(async () => {
      await client.close();
      await proxy.close();
    });
    return { client, proxy };
  }

  const flipLastByte = (data: Buffer): Buffer => {
    const copy = Buffer.from(data);
    copy[copy.length - 1]! ^= 0x01;
    return copy;
  };

  test('an altered server frame is refused by the client, which resumes and gets the message once', async () => {
    // 0 is the handshake reply, 1 the HEARTBEAT that opens the session, 2 the message.
    const { client } = await throughProxy({ toClient: (data, i) => (i === 2 ? flipLastByte(data) : data) });
    const disconnected = once<{ willReconnect: boolean }>((l) => client.on('disconnected', l));
    const received: unknown[] = [];
    client.on('message', (m) => received.push(m.data));
    const { id } = await app.publish({ to: client.clientId, data: 'intact' });
    assert.equal((await disconnected).willReconnect, true);
    await eventually(async () => ((await app.status(id)).status === 'acked' ? true : undefined), 'acked after resume');
    assert.deepEqual(received, ['intact']);
  });

  /** Client-to-server messages: 0 is the hello, 1 the CONFIRM, the ACKs follow. */
  async function ackTampering(hook: (data: Buffer, i: number) => Buffer | Buffer[] | null, frames: number): Promise<void> {
    const { client, proxy } = await throughProxy({ toServer: hook }, false);
    const closed = once<{ code: number }>((l) => client.on('disconnected', l));
    const ids: string[] = [];
    const received: unknown[] = [];
    client.on('message', (m) => received.push(m.data));
    for (let i = 0; i < frames; i++) {
      // One at a time, so that each message travels in its own frame and draws its own ACK.
      ids.push((await app.publish({ to: client.clientId, data: i })).id);
      await eventually(async () => (received.length === i + 1 ? true : undefined), `message ${i}`);
    }
    assert.equal((await closed).code, 4100);
    assert.deepEqual(proxy.closes, [4100]);
    // The refused ACK took no effect: the last message is delivered (its mark is written
    // within markFlushMs) and stays unacked.
    const status = await eventually(async () => {
      const s = await app.status(ids.at(-1)!);
      return s.status === 'queued' ? undefined : s;
    }, 'the delivered mark');
    assert.equal(status.status, 'delivered');
    assert.equal(status.ackedAt, null);
  }

  test('an altered ACK closes the connection with ERR_FRAME and acks nothing', async () => {
    await ackTampering((data, i) => (i === 2 ? flipLastByte(data) : data), 1);
  });

  test('a truncated ACK closes the connection with ERR_FRAME', async () => {
    await ackTampering((data, i) => (i === 2 ? data.subarray(0, data.length - 1) : data), 1);
  });

  test('a replayed ACK closes the connection with ERR_FRAME', async () => {
    // The first ACK is passed on and then sent again; the second frame's ACK never goes.
    let first: Buffer | null = null;
    await ackTampering((data, i) => {
      if (i === 2) return (first = data);
      if (i === 3) return first;
      return data;
    }, 2);
  });

  test('reordered ACKs close the connection with ERR_FRAME', async () => {
    let held: Buffer | null = null;
    await ackTampering((data, i) => {
      if (i === 2) {
        held = data;
        return null;
      }
      if (i === 3) return [data, held!];
      return data;
    }, 2);
  });

  test('pending messages for one client travel sealed together in one frame', async () => {
    const first = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    const session = first.session();
    await first.close();
    await app.publishBatch(Array.from({ length: 50 }, (_, i) => ({ to: session.clientId, data: { i, pad: 'x'.repeat(100) } })));
    const frames: number[] = [];
    const proxy = await WsProxy.start(server.url, { toClient: (data) => (frames.push(data.length), data) });
    const resumed = await connect({ url: proxy.url, appId: server.app.appId, serverKey: server.identity.publicKey, session });
    cleanups.push(async () => {
      await resumed.close();
      await proxy.close();
    });
    const received = await collect(resumed, 50);
    assert.deepEqual(received.map((m) => (m.data as { i: number }).i), [...Array(50).keys()]);
    // The handshake reply, the HEARTBEAT that opens the session, then one DELIVER frame
    // carrying all 50 (about 7 KB, under the 64 KiB bundle bound) and the session's TICKET
    // (about 190 bytes; issued beside delivery, so either may come first).
    assert.equal(frames.length, 4, `frames seen: ${frames.join(', ')}`);
    assert.equal(frames.slice(2).filter((size) => size > 50 * 100).length, 1, 'one frame carries every message');
    assert.ok(frames.slice(2).some((size) => size < 512), `and the other is the ticket: ${frames.join(', ')}`);
  });

  test('garbage, an unknown protocol version and text frames get their close codes; the server lives on', async () => {
    const ws = `${server.url.replace('http', 'ws')}/v1/ws`;
    const closeCodeFor = (payload: Buffer | string): Promise<number> =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(ws);
        socket.on('open', () => socket.send(payload));
        socket.on('close', (code) => resolve(code));
        socket.on('error', reject);
      });
    const appId = Buffer.from(server.app.appId);
    const hello = (version: number): Buffer => Buffer.concat([Buffer.from([version, appId.length]), appId, Buffer.alloc(96, 7)]);
    assert.equal(await closeCodeFor(hello(PROTOCOL_VERSION + 1)), 4505); // ERR_VERSION
    assert.equal(await closeCodeFor(hello(PROTOCOL_VERSION)), 4500); // ERR_HANDSHAKE: not a valid Noise message
    assert.equal(await closeCodeFor(Buffer.from([PROTOCOL_VERSION])), 4500);
    assert.equal(await closeCodeFor('hello'), 4501); // ERR_PROTOCOL: text frame
    assert.equal(await closeCodeFor(Buffer.alloc(100_000)), 1009); // over maxClientMessageBytes
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
  });
});
