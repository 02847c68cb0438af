// Cohort envelopes dropped on path (issue 13, item 3; docs/protocol.md section 7): envelopes are
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

/** Time between envelopes: long enough that the backlog is queued before the first one. */
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
        assert.deepEqual(
          disconnects.map((d) => [d.reason, d.willReconnect]),
          [['ERR_FRAME', true]],
        );
        assert.deepEqual(
          errors.map((e) => e.code),
          ['ERR_FRAME'],
        );
        assert.match(errors[0]!.message, /envelope counter/);

        // Exactly once: a last message arrives after all the others, and nothing came twice.
        await app.publish({ to: c.clientId, data: { n: MESSAGES + 1 } });
        await numbers.reach(MESSAGES + 1);
        assert.deepEqual(numbers.all, [1, 2, 3, 4, 5, 6, 7]);
      });
    }
  }
});
