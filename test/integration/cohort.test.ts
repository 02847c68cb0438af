// Cohort delivery end to end: a real server whose app delivers in cohorts, real SDK clients
// over real sockets, each socket's raw messages recorded so the envelopes can be compared.
import { after, before, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { WebSocket } from 'ws';
import { connect, type SealPushClient } from '../../src/client/node.js';
import type { SocketConstructor } from '../../src/client/socket.js';
import { SealPushApp } from '../../src/app/index.js';
import { parseConfig } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { decodeCohortHeader } from '../../src/crypto/cohort.js';
import { SEAL_OVERHEAD, SIGNED_ACK_BYTES } from '../../src/crypto/frames.js';
import { collect } from '../helpers/messages.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const TICK_MS = 100;

/** A WebSocket class whose instances record every message the server sends them (and, in `sent`, what they send). */
function recordingSocket(log: Uint8Array[], sent: Uint8Array[] = []): SocketConstructor {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('message', (data: Buffer) => log.push(new Uint8Array(data)));
    }
    override send(data: Uint8Array): void {
      sent.push(new Uint8Array(data));
      super.send(data);
    }
  } as unknown as SocketConstructor;
}

/** The envelopes of a log (the handshake reply, first, is not one), by tick. */
function envelopesByTick(log: Uint8Array[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const message of log.slice(1)) out.set(decodeCohortHeader(message).header.tick, Buffer.from(message).toString('hex'));
  return out;
}

/** Sets the server's app to deliver directly or in cohorts of 4 slots every TICK_MS, receipts on. */
async function setDelivery(server: TestServer, mode: 'direct' | 'cohort'): Promise<void> {
  const core = await openCore(parseConfig({ dataDir: server.dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
  try {
    // Receipts on: the SDK signs every ACK, so a member's ACK frames have one size (docs/receipts.md).
    const cohort = mode === 'cohort' ? { tickMs: TICK_MS, cohortSize: 4, slotCounts: [4] } : {};
    await core.apps.update(server.app.appId, { delivery: mode, cohort, receipts: true });
  } finally {
    await core.close();
  }
}

describe('cohort delivery, end to end', () => {
  let server: TestServer;
  let app: SealPushApp;
  const open: SealPushClient[] = [];

  async function client(log: Uint8Array[], session?: Parameters<typeof connect>[0]['session'], sent?: Uint8Array[]): Promise<SealPushClient> {
    const c = await connect({
      url: server.url,
      appId: server.app.appId,
      serverKey: server.identity.publicKey,
      WebSocket: recordingSocket(log, sent),
      ...(session ? { session } : {}),
    });
    open.push(c);
    return c;
  }

  before(async () => {
    server = await startTestServer();
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
    await setDelivery(server, 'cohort');
  });
  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await server.close();
  });

  test('each member gets its own messages, once and in order, from envelopes every member receives byte for byte', async () => {
    const logs: Uint8Array[][] = [[], [], []];
    const [a, b, c] = [await client(logs[0]!), await client(logs[1]!), await client(logs[2]!)];
    const toA = collect(a, 2);
    const toB = collect(b, 1);
    let toC = 0;
    c.on('message', () => toC++);

    const results = await app.publishBatch([
      { to: a.clientId, data: { n: 1 } },
      { to: b.clientId, data: { n: 2 } },
      { to: a.clientId, data: { n: 3 } },
    ]);
    assert.deepEqual(results.map((r) => ('status' in r ? r.status : r)), ['queued', 'queued', 'queued']);
    assert.deepEqual((await toA).map((m) => m.data), [{ n: 1 }, { n: 3 }]);
    assert.deepEqual((await toB).map((m) => m.data), [{ n: 2 }]);

    // Two more ticks, so that every member has envelopes from after the messages went out.
    const seen = logs[2]!.length;
    await eventually(async () => (logs[2]!.length >= seen + 2 ? true : undefined), 'two more envelopes');
    assert.equal(toC, 0, 'the member with nothing pending got nothing');

    const [ea, eb, ec] = logs.map(envelopesByTick) as [Map<number, string>, Map<number, string>, Map<number, string>];
    const common = [...ec.keys()].filter((tick) => ea.has(tick) && eb.has(tick));
    assert.ok(common.length >= 2, `ticks seen by all three: ${common.length}`);
    const lengths = new Set<number>();
    for (const tick of common) {
      assert.equal(ea.get(tick), ec.get(tick), `tick ${tick}: a and c got the same bytes`);
      assert.equal(eb.get(tick), ec.get(tick), `tick ${tick}: b and c got the same bytes`);
      lengths.add(ec.get(tick)!.length);
    }
    // Four slots of the smallest size, whether the tick carried 0, 1 or 2 messages.
    assert.equal(lengths.size, 1, 'every envelope of this cohort has one length');
    for (const id of results.map((r) => ('id' in r ? r.id : ''))) {
      await eventually(async () => ((await app.status(id)).status === 'acked' ? true : undefined), `message ${id} acked`);
    }
  });

  test("a member's own frames follow the tick: one ACK of one size per envelope, with or without messages for it", async () => {
    const logs: Uint8Array[][] = [[], []];
    const sent: Uint8Array[][] = [[], []];
    const busy = await client(logs[0]!, undefined, sent[0]);
    await client(logs[1]!, undefined, sent[1]); // a member nothing is published to
    const arriving = collect(busy, 3);
    for (const n of [1, 2, 3]) await app.publish({ to: busy.clientId, data: { n } });
    await arriving;
    const seen = logs[1]!.length;
    await eventually(async () => (logs[1]!.length >= seen + 3 ? true : undefined), 'three more envelopes');
    for (const [i, who] of ['busy', 'idle'].entries()) {
      const envelopes = logs[i]!.length - 1; // the first message is the handshake reply
      const acks = sent[i]!.slice(2); // the first is the hello, the second the CONFIRM
      assert.ok(Math.abs(acks.length - envelopes) <= 1, `${who}: ${acks.length} ACK frames for ${envelopes} envelopes`);
      // The SDK signs its ACKs (receipts.md), an empty one included: one size whatever it covers.
      assert.deepEqual(new Set(acks.map((a) => a.length)), new Set([SIGNED_ACK_BYTES + SEAL_OVERHEAD]), `${who}: every ACK frame is a sealed SIGNED_ACK`);
    }
  });

  test('offline and back in cohort mode: what was published meanwhile arrives once, in order', async () => {
    const log: Uint8Array[] = [];
    const first = await client(log);
    const early = collect(first, 1);
    await app.publish({ to: first.clientId, data: { n: 'before' } });
    await early;
    const session = first.session();
    await first.close();
    for (const n of [1, 2, 3]) await app.publish({ to: first.clientId, data: { n } });

    const back = await client([], session);
    assert.equal(back.clientId, first.clientId);
    const received = await collect(back, 3);
    assert.deepEqual(received.map((m) => m.data), [{ n: 1 }, { n: 2 }, { n: 3 }]);
    let extra = 0;
    back.on('message', () => extra++);
    await app.publish({ to: back.clientId, data: { n: 'after' } });
    await eventually(async () => (extra === 1 ? true : undefined), 'the next message');
    assert.equal(extra, 1, 'nothing was delivered twice');
  });

  test('switching the app back to direct takes effect on connected clients without a restart', async () => {
    const log: Uint8Array[] = [];
    const c = await client(log);
    let reconnects = 0;
    c.on('connected', () => reconnects++);
    await setDelivery(server, 'direct');
    await eventually(async () => (reconnects >= 1 ? true : undefined), 'the client reconnected in the new mode');
    const arriving = collect(c, 1);
    const before = log.length;
    await app.publish({ to: c.clientId, data: { mode: 'direct' } });
    assert.deepEqual((await arriving).map((m) => m.data), [{ mode: 'direct' }]);
    const frame = log[log.length - 1]!;
    assert.ok(log.length > before);
    assert.throws(() => decodeCohortHeader(frame), 'now a transport frame, not an envelope');
    await setDelivery(server, 'cohort');
  });
});

describe('cohort ticks on a clock the test controls', () => {
  let server: TestServer;
  let c: SealPushClient;

  before(async () => {
    server = await startTestServer();
    await setDelivery(server, 'cohort');
    // The cohort group starts its tick timer when its first member registers; from here on
    // every setInterval of this process is the test's: it fires only on mock.timers.tick().
    mock.timers.enable({ apis: ['setInterval'] });
  });
  after(async () => {
    await c?.close();
    await server.close();
    mock.timers.reset();
  });

  test('a message published just before a tick goes out in that tick', async () => {
    const log: Uint8Array[] = [];
    let connected = false;
    const connecting = connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, WebSocket: recordingSocket(log) });
    void connecting.then(() => (connected = true), () => undefined);
    // The session opens with the first envelope: tick until the client has one.
    await eventually(async () => (mock.timers.tick(TICK_MS), connected ? true : undefined), 'the first envelope', 5_000);
    c = await connecting;
    const app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
    const slotBytes = (envelope: Uint8Array): number => decodeCohortHeader(envelope).header.slotBytes;
    for (let round = 0; round < 3; round++) {
      const seen = log.length;
      const arriving = collect(c, 1);
      await app.publish({ to: c.clientId, data: { round, pad: 'x'.repeat(300) } }); // too large for the 256-byte slot
      const atAccepted = log.length; // envelopes received when the 202 came back
      mock.timers.tick(TICK_MS); // the tick right after the commit
      await eventually(async () => (log.length > atAccepted ? true : undefined), 'the envelope of that tick', 5_000);
      // The cohort's other slots are idle, so the one envelope with large slots carries it:
      // the first envelope after the 202 (no tick can fire between the commit and the 202).
      const carrying = log.findIndex((e, i) => i >= seen && slotBytes(e) > 256);
      assert.ok(carrying >= 0, 'an envelope with a larger slot carried the message');
      assert.ok(carrying <= atAccepted, `round ${round}: envelope ${carrying}, first after the 202 was ${atAccepted}`);
      await arriving;
    }
  });
});
