// Cohort envelopes dropped on path (issue 13, item 3; docs/protocol.md section 7.1): envelopes are
// not transport frames, so a man in the middle can drop one without breaking any cipher. Every
// slot carries its connection's envelope counter: the SDK sees the gap, hands nothing over from
// past it, closes with a transient code, resumes, and gets every message once, in order, with
// receipts off and on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type SealPushClient } from '../../src/client/index.js';
import { SealPushApp, verifyReceipt } from '../../src/app/index.js';
import { errorsOf } from '../helpers/messages.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';
import { WsProxy } from '../helpers/ws-proxy.js';

/**
 * Time between envelopes: long enough that the backlog is queued before the first one, so the
 * dropped envelopes carry messages (the test passes either way; without the SDK's counter check
 * it then fails).
 */
const TICK_MS = 150;
const MESSAGES = 6;
/**
 * Over half the largest slot's bundle (66,048 - 44 bytes by default): each envelope carries
 * exactly one message, so a dropped envelope is a dropped message.
 */
const PAD = 'x'.repeat(34_000);

/** The `n` of each message a client hands over, in order (the padding is never printed). */
function receivedNumbers(client: SealPushClient): { all: number[]; reach(count: number): Promise<void> } {
  const all: number[] = [];
  const waiting: { count: number; resolve(): void }[] = [];
  client.on('message', (m) => {
    all.push((m.data as { n: number }).n);
    for (const w of waiting.filter((w) => all.length >= w.count)) w.resolve();
  });
  return {
    all,
    reach: (count) =>
      new Promise((resolve, reject) => {
        if (all.length >= count) return resolve();
        const timer = setTimeout(() => reject(new Error(`received ${JSON.stringify(all)}, waiting for ${count} messages`)), 20_000);
        waiting.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      }),
  };
}

describe('cohort envelopes dropped on path: every message arrives once, in order, and ends acked', () => {
  let server: TestServer;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    server = await startTestServer({ markFlushMs: 20 });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await server.close();
  });

  async function cohortApp(receipts: boolean): Promise<{ appId: string; app: SealPushApp }> {
    const { appId, secret } = await server.createApp(`gaps-${receipts ? 'receipts' : 'plain'}-${cleanups.length}`);
    await server.updateApp(appId, { delivery: 'cohort', cohort: { tickMs: TICK_MS, cohortSize: 4, slotCounts: [4] }, receipts });
    return { appId, app: new SealPushApp({ url: server.url, appId, secret }) };
  }

  async function client(appId: string, url: string, session?: ReturnType<SealPushClient['session']>): Promise<SealPushClient> {
    const c = await connect({
      url,
      appId,
      serverKey: server.identity.publicKey,
      reconnect: { minDelayMs: 20, maxDelayMs: 100 },
      ...(session ? { session } : {}),
    });
    cleanups.push(() => c.close());
    return c;
  }

  test('nothing dropped: while members join and leave (cohorts re-cut), no client ever sees a gap', async () => {
    const { appId, app } = await cohortApp(false);
    await server.updateApp(appId, { delivery: 'cohort', cohort: { tickMs: 50, cohortSize: 2, slotCounts: [2] } });
    const trouble = new Map<SealPushClient, string[]>();
    const frames = new Map<SealPushClient, number>();
    const join = async (): Promise<SealPushClient> => {
      const c = await client(appId, server.url);
      trouble.set(c, []);
      c.on('error', (err) => trouble.get(c)!.push(`error ${err.code}: ${err.message}`));
      c.on('disconnected', (d) => trouble.get(c)!.push(`disconnected ${d.code} ${d.reason}`));
      c.on('frame', () => frames.set(c, (frames.get(c) ?? 0) + 1));
      return c;
    };
    const ticksPass = (c: SealPushClient, count: number): Promise<unknown> => {
      const start = frames.get(c) ?? 0;
      return eventually(async () => ((frames.get(c) ?? 0) >= start + count ? true : undefined), `${count} envelopes`);
    };
    // Three members: cohorts [a, b] and [c]. Then a leaves (b and c now share one) and d joins,
    // mid-stream, while messages flow to every member.
    const [a, b, c] = [await join(), await join(), await join()];
    await ticksPass(c, 3);
    const received = new Map<SealPushClient, number[]>();
    for (const m of [b, c]) m.on('message', (msg) => received.set(m, [...(received.get(m) ?? []), (msg.data as { n: number }).n]));
    await app.publish({ to: b.clientId, data: { n: 1 } });
    await a.close();
    const d = await join();
    d.on('message', (msg) => received.set(d, [...(received.get(d) ?? []), (msg.data as { n: number }).n]));
    for (const n of [2, 3]) for (const m of [b, c, d]) await app.publish({ to: m.clientId, data: { n } });
    await eventually(async () => ([b, c, d].every((m) => (received.get(m) ?? []).includes(3)) ? true : undefined), 'every message');
    await ticksPass(d, 3);
    assert.deepEqual(
      [a, b, c, d].map((m) => trouble.get(m)),
      [['disconnected 1000 client closed'], [], [], []],
      'only a went, by closing',
    );
    assert.deepEqual([b, c, d].map((m) => received.get(m)), [[1, 2, 3], [2, 3], [2, 3]]);
  });

  for (const receipts of [false, true]) {
    for (const dropped of [[2, 3, 5], [1]]) {
      test(`receipts ${receipts ? 'on' : 'off'}: envelopes ${dropped.join(', ')} after the handshake reply dropped`, async () => {
        const { appId, app } = await cohortApp(receipts);
        // The client exists and is offline while its backlog is published: once it connects,
        // the backlog goes out one message per envelope, from its first envelope on.
        const first = await client(appId, server.url);
        const session = first.session();
        await first.close();
        const ids: string[] = [];
        for (let n = 1; n <= MESSAGES; n++) ids.push((await app.publish({ to: first.clientId, data: { n, pad: PAD } })).id);

        // Index 0 is the handshake reply; the proxy hooks only the first connection through it.
        const proxy = await WsProxy.start(server.url, { toClient: (data, index) => (dropped.includes(index) ? null : data) });
        cleanups.push(() => proxy.close());
        const c = await client(appId, proxy.url, session);
        const errors = errorsOf(c);
        const disconnects: { code: number; reason: string; willReconnect: boolean }[] = [];
        c.on('disconnected', (d) => disconnects.push(d));
        const numbers = receivedNumbers(c);

        await numbers.reach(MESSAGES);
        assert.deepEqual(numbers.all, [1, 2, 3, 4, 5, 6]);
        for (const id of ids) {
          await eventually(async () => ((await app.status(id)).status === 'acked' ? true : undefined), `message ${id} acked`);
        }
        // Receipts on: each message's receipt is the client's signature over what it really got.
        if (receipts) for (const id of ids) assert.deepEqual(await verifyReceipt(await app.receipt(id), c.ackKey), { valid: true });

        // The gap closed the hooked connection on the client's side, transiently: the client
        // resumed through a second, untouched connection and stopped for nothing.
        assert.equal(proxy.connectionCount, 2, 'the hooked connection, then one resumed connection');
        if (dropped[0] === 1) {
          // The first envelope is what opens the session (protocol.md section 2.5): its gap was
          // found inside connect(), which retried and resolved on the resumed connection.
          assert.deepEqual([disconnects, errors], [[], []]);
        } else {
          assert.deepEqual(
            disconnects.map((d) => [d.reason, d.willReconnect]),
            [['ERR_FRAME', true]],
          );
          assert.deepEqual(
            errors.map((e) => e.code),
            ['ERR_FRAME'],
          );
          assert.match(errors[0]!.message, /envelope counter/);
        }

        // Exactly once: a last message arrives after all the others, and nothing came twice.
        await app.publish({ to: c.clientId, data: { n: MESSAGES + 1 } });
        await numbers.reach(MESSAGES + 1);
        assert.deepEqual(numbers.all, [1, 2, 3, 4, 5, 6, 7]);
      });
    }
  }
});
