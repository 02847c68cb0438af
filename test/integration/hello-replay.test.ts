// A captured client hello replayed from another socket, as a TLS-terminating proxy could
// (docs/protocol.md section 2.5): the server answers it once and waits for a CONFIRM that only
// the holder of the client's keys can seal. Until then nothing changes: no session replaced,
// no message marked delivered, no ack from the hello's lastSeq, no presence, no new client.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { collect } from '../helpers/messages.js';
import { eventually, type TestServer } from '../helpers/server.js';
import { sdkSuite } from '../helpers/sdk-suite.js';
import { helloTo } from '../helpers/hello.js';

/** Long enough for an honest SDK on a loaded machine; the replaying socket is closed after it. */
const HANDSHAKE_TIMEOUT_MS = 1_500;

/**
 * Sends `hello` on a fresh socket; resolves with what came back and how the socket was closed,
 * or as soon as anything follows the reply (a server that took the replay for a session).
 */
function replay(server: TestServer, hello: Uint8Array): Promise<{ received: Buffer[]; code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/v1/ws`);
    const received: Buffer[] = [];
    ws.on('open', () => ws.send(hello));
    ws.on('message', (data: Buffer) => {
      received.push(data);
      if (received.length === 2) ws.terminate();
    });
    ws.on('close', (code, reason) => resolve({ received, code, reason: reason.toString() }));
    ws.on('error', reject);
  });
}

describe('a replayed hello changes nothing', () => {
  const suite = sdkSuite({ markFlushMs: 20, limits: { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS } });

  const statusOf = async (id: string) => (await suite.app.status(id)).status;

  test('with the real client connected: the replay is answered once and times out; the real client keeps its session', async () => {
    let hello: Buffer | null = null;
    const path = await suite.proxy({ toServer: (data, i) => (i === 0 ? (hello = data) : data) });
    const real = await suite.sdk(path.url);
    const disconnects: number[] = [];
    const replaced = new Promise<null>((resolve) =>
      real.on('disconnected', ({ code }) => {
        disconnects.push(code);
        resolve(null);
      }),
    );

    const replayed = await Promise.race([replay(suite.server, hello!), replaced]);
    assert.deepEqual(disconnects, [], 'the real client was not replaced');
    assert.equal(replayed!.received.length, 1, 'one reply (message 2), nothing after it');
    assert.deepEqual([replayed!.code, replayed!.reason], [4101, 'ERR_HANDSHAKE_TIMEOUT']);

    const arriving = collect(real, 1);
    const { id } = await suite.app.publish({ to: real.clientId, data: 'after the replay' });
    assert.deepEqual((await arriving).map((m) => m.data), ['after the replay']);
    await eventually(async () => ((await statusOf(id)) === 'acked' ? true : undefined), 'acked by the real client');
    assert.deepEqual(disconnects, [], 'never replaced');
    assert.equal((await suite.app.client(real.clientId)).online, true);
  });

  test('with the real client offline: no delivered mark, no ack from the hello, no presence, nothing stored changes', async () => {
    // The real client receives m1, but its ACK is lost on the way: m1 stays delivered, not acked.
    const lossy = await suite.proxy({ toServer: (data, i) => (i <= 1 ? data : null) });
    const first = await suite.sdk(lossy.url);
    const arriving = collect(first, 1);
    const { id: m1 } = await suite.app.publish({ to: first.clientId, data: 'm1' });
    await arriving;
    await eventually(async () => ((await statusOf(m1)) === 'delivered' ? true : undefined), 'm1 delivered');
    const session = first.session();
    assert.equal(session.lastSeq, 1);
    await first.close();
    await eventually(async () => ((await suite.app.client(session.clientId)).online ? undefined : true), 'offline');
    const { id: m2 } = await suite.app.publish({ to: session.clientId, data: 'm2' });

    // The real client's next hello (lastSeq 1) is captured on the way; its CONFIRM is dropped.
    let hello: Buffer | null = null;
    const capturing = await suite.proxy({ toServer: (data, i) => (i === 0 ? (hello = data) : null) });
    // An IK hello: this test is about the full handshake (resumption-hello replays: resumption.test.ts).
    await assert.rejects(suite.sdk(capturing.url, { session, resume: false }), { code: 'ERR_HANDSHAKE_TIMEOUT' });
    const before = await suite.app.client(session.clientId);

    const replayed = await replay(suite.server, hello!);
    assert.equal(replayed.received.length, 1, 'one reply (message 2), nothing after it');
    assert.deepEqual([replayed.code, replayed.reason], [4101, 'ERR_HANDSHAKE_TIMEOUT']);

    assert.equal(await statusOf(m1), 'delivered', "the hello's lastSeq acked nothing");
    assert.equal(await statusOf(m2), 'queued', 'nothing was delivered to the replaying socket');
    const after = await suite.app.client(session.clientId);
    assert.equal(after.online, false, 'never shown online');
    assert.deepEqual(after, before, 'last seen, pending and HPKE key unchanged');

    // The real client, with its keys, resumes: m1 is acked by its hello, m2 arrives.
    const real = await suite.sdk(suite.server.url, { session });
    const resumed = collect(real, 1);
    assert.deepEqual((await resumed).map((m) => m.data), ['m2']);
    await eventually(async () => ((await statusOf(m2)) === 'acked' ? true : undefined), 'm2 acked');
    assert.equal(await statusOf(m1), 'acked');
  });

  test('a hello with a new static key creates no client until its CONFIRM', async () => {
    const ws = new WebSocket(`${suite.server.url.replace(/^http/, 'ws')}/v1/ws`);
    const reply = new Promise<Buffer>((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    const hello = await helloTo(suite.server);
    ws.send(hello.hello);
    const done = await hello.finish(new Uint8Array(await reply));
    assert.equal(done.payload.resumed, false);
    const frame = new Promise<string>((resolve) => ws.once('message', () => resolve('a frame after the reply')));
    assert.equal(await Promise.race([closed, frame]), 4101, 'no CONFIRM: closed at the handshake timeout, never opened');
    await assert.rejects(suite.app.client(done.payload.clientId), { code: 'ERR_NOT_FOUND' });
    await assert.rejects(suite.app.publish({ to: done.payload.clientId, data: 'x' }), { code: 'ERR_NOT_FOUND' });
  });

  for (const [version, sdk] of [
    [1, 'before the key confirmation'],
    [2, 'before ChaCha20-Poly1305'],
  ] as const) {
    test(`a version-${version} hello (an SDK from ${sdk}) gets ERR_VERSION at once, not a handshake that never opens`, async () => {
      const hello = await helloTo(suite.server);
      const old = Uint8Array.from(hello.hello);
      old[0] = version;
      const refused = await replay(suite.server, old);
      // 4505 rather than 4101: the server did not wait for the handshake timeout.
      assert.deepEqual([refused.code, refused.reason, refused.received.length], [4505, 'ERR_VERSION', 0]);
    });
  }
});
