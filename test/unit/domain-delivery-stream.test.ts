/**
 * DeliveryStream on the real SQLite store: catch-up, live offers, bundling, back-pressure,
 * fallback to the store, acks and stop. The sink is the transport's port, so a recording
 * one stands in for the socket; the defer queue is drained by each test.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DELIVERY_LIMITS, DeliveryStream, type DeliveryLimits } from '../../src/domain/usecases/delivery-stream.js';
import { catchUpPass, type CatchUpTarget } from '../../src/domain/usecases/catch-up.js';
import { LAST_SEQS_MAX } from '../../src/domain/ports/message-log.js';
import { DomainWorld, RecordingSink, jsonBytes } from '../helpers/domain.js';

const APP = 'app_delivery';

interface Bench {
  readonly world: DomainWorld;
  readonly clientId: string;
  readonly sink: RecordingSink;
  readonly stream: DeliveryStream;
  /** When true, committed messages are not offered to the stream (a dropped bus envelope). */
  muted: boolean;
  publish(...data: unknown[]): Promise<string[]>;
  status(messageId: string): Promise<string | undefined>;
}

/** A client with `before` messages already committed, and a stream (not started) at `cursor`. */
async function bench(t: TestContext, limits: Partial<DeliveryLimits> = {}, before: unknown[] = [], cursor = 0): Promise<Bench> {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const client = await world.createClient(APP, 1);
  if (before.length > 0) await world.publish(APP, client.id, before);
  const sink = new RecordingSink();
  const stream = new DeliveryStream(APP, client.id, cursor, sink, {
    store: world.store,
    payloads: await world.cipherOf(APP, client.id),
    commits: world.commits,
    clock: world.clock,
    defer: world.deferred.defer,
    logger: world.logger,
    limits: { ...DEFAULT_DELIVERY_LIMITS, ...limits },
  });
  const b: Bench = {
    world,
    clientId: client.id,
    sink,
    stream,
    muted: false,
    publish: (...data) => world.publish(APP, client.id, data),
    status: async (id) => (await world.store.getMessage(APP, id))?.status,
  };
  world.onPublished = (clientId, messages) => {
    if (clientId === client.id && !b.muted) stream.offer(messages);
  };
  return b;
}

async function started(b: Bench): Promise<Bench> {
  b.stream.start();
  await b.world.deferred.settle();
  return b;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('catch-up sends every pending message after the cursor, in seq order, paging, and marks them delivered', async (t) => {
  const b = await bench(t, { pageSize: 2 }, ['m1', 'm2', 'm3', 'm4', 'm5'], 2);
  const ids = (await b.world.store.pendingMessages(b.clientId, 0, 10, b.world.clock.now())).map((m) => m.id);
  b.world.store.reads = 0;

  await started(b);

  assert.deepEqual(b.sink.seqs(), [3, 4, 5]);
  assert.deepEqual(b.sink.texts(), ['"m3"', '"m4"', '"m5"']);
  assert.equal(b.world.store.reads, 2, 'a full page of 2, then a short page of 1');
  for (const id of ids.slice(2)) assert.equal(await b.status(id), 'delivered');
});

test('frames bundle messages up to frameDataBytes; a larger message goes alone', async (t) => {
  const small = ['aaaa', 'bbbb', 'cccc']; // 6 bytes each as JSON
  const large = 'x'.repeat(28); // 30 bytes
  assert.equal(jsonBytes(large), 30);
  const b = await bench(t, { frameDataBytes: 18 }, [...small, large, 'dddd', 'eeee']); // three small ones fit exactly

  await started(b);

  assert.deepEqual(b.sink.frames.map((f) => f.map((m) => m.seq)), [[1, 2, 3], [4], [5, 6]]);

  // The same rule holds for live messages: a commit of four small ones is two frames.
  await b.publish('ffff', 'gggg', 'hhhh', 'iiii');
  assert.deepEqual(b.sink.frames.slice(3).map((f) => f.map((m) => m.seq)), [[7, 8, 9], [10]]);
});

test('once live, committed messages go out without reading the store', async (t) => {
  const b = await started(await bench(t, {}, ['m1', 'm2']));
  const reads = b.world.store.reads;

  await b.publish('m3');
  await b.world.deferred.settle();
  assert.deepEqual(b.sink.seqs(), [1, 2, 3]);

  // A message that is not in the store at all can only have come from the offer itself.
  const ghost = { seq: 4, id: 'ghost', createdAt: b.world.clock.now(), data: new TextEncoder().encode('"ghost"') };
  b.stream.offer([ghost]);
  await b.world.deferred.settle();

  assert.deepEqual(b.sink.seqs(), [1, 2, 3, 4]);
  assert.equal(b.sink.frames.at(-1)?.[0]?.id, 'ghost');
  assert.equal(await b.world.store.getMessage(APP, 'ghost'), undefined);
  assert.equal(b.world.store.reads, reads, 'no store read once live');
});

test('a repeated live offer of what was already sent is not sent again', async (t) => {
  const b = await started(await bench(t, {}, ['m1', 'm2']));
  const [second] = await b.world.store.pendingMessages(b.clientId, 1, 1, b.world.clock.now());
  const again = { seq: 2, id: second!.id, createdAt: second!.createdAt, data: new TextEncoder().encode('"m2"') };

  b.stream.offer([again]); // a late or repeated envelope, right after the catch-up
  await b.world.deferred.settle();
  await b.publish('m3');
  b.stream.offer([again]);
  await b.world.deferred.settle();

  assert.deepEqual(b.sink.seqs(), [1, 2, 3]);
});

test('messages committed while a catch-up read is in flight are sent after it, once', async (t) => {
  const b = await bench(t, {}, ['m1', 'm2']);
  const release = b.world.store.holdReads();
  await started(b);
  assert.equal(b.world.store.reads, 1);

  await b.publish('m3'); // offered while the read (which did not see it) is in flight
  await b.world.deferred.settle();
  assert.deepEqual(b.sink.seqs(), [], 'nothing goes out before the read returns');

  release();
  await b.world.deferred.settle();

  assert.deepEqual(b.sink.seqs(), [1, 2, 3]);
  assert.equal(b.world.store.reads, 1, 'm3 came from the offer, not from a second read');
  await b.publish('m4');
  assert.deepEqual(b.sink.seqs(), [1, 2, 3, 4], 'and the stream is live');
});

test('an offer of a message that the in-flight read also returns is sent once', async (t) => {
  const b = await bench(t, {}, ['m1', 'm2']);
  b.muted = true;
  await b.publish('m3'); // committed before the read: its snapshot holds it
  const [third] = await b.world.store.pendingMessages(b.clientId, 2, 1, b.world.clock.now());
  const release = b.world.store.holdReads();
  await started(b);

  // A late envelope for seq 3 (and a repeat of it) arrives during the read.
  const late = { seq: 3, id: third!.id, createdAt: third!.createdAt, data: new TextEncoder().encode('"m3"') };
  b.stream.offer([late]);
  b.stream.offer([late]);
  release();
  await b.world.deferred.settle();

  assert.deepEqual(b.sink.seqs(), [1, 2, 3]);
});

test('a seq gap in live mode falls back to the store and delivers the missing message', async (t) => {
  const b = await started(await bench(t, {}, ['m1']));
  await b.publish('m2'); // live: the stream now expects seq 3 next
  assert.deepEqual(b.sink.seqs(), [1, 2]);
  const reads = b.world.store.reads;

  b.muted = true;
  await b.publish('m3'); // its live offer is lost
  b.muted = false;
  await b.publish('m4'); // offered with seq 4: a gap
  await b.world.deferred.settle();

  assert.deepEqual(b.sink.seqs(), [1, 2, 3, 4]);
  assert.deepEqual(b.sink.texts(), ['"m1"', '"m2"', '"m3"', '"m4"']);
  assert.equal(b.world.store.reads, reads + 1, 'the gap was filled from the store');
});

test('a full sink pauses sending; drained() resumes with nothing lost or duplicated', async (t) => {
  // frameDataBytes 1: every message is a frame of its own, so room counts messages.
  const b = await bench(t, { frameDataBytes: 1 }, ['m1', 'm2', 'm3', 'm4', 'm5']);
  b.sink.room = 2;
  await started(b);
  assert.deepEqual(b.sink.seqs(), [1, 2]);

  await b.publish('m6'); // committed while paused in catch-up
  await b.world.deferred.settle();
  assert.deepEqual(b.sink.seqs(), [1, 2], 'nothing is written while the sink is full');

  b.sink.room = 2;
  b.stream.drained();
  await b.world.deferred.settle();
  assert.deepEqual(b.sink.seqs(), [1, 2, 3, 4]);

  b.sink.room = Infinity;
  b.stream.drained();
  await b.world.deferred.settle();
  assert.deepEqual(b.sink.seqs(), range(1, 6));

  // Live: a full sink holds offers in memory, and drained() sends them without a store read.
  b.sink.room = 0;
  const reads = b.world.store.reads;
  await b.publish('m7');
  await b.publish('m8');
  assert.deepEqual(b.sink.seqs(), range(1, 6));
  b.sink.room = Infinity;
  b.stream.drained();
  await b.world.deferred.settle();
  assert.deepEqual(b.sink.seqs(), range(1, 8));
  assert.equal(b.world.store.reads, reads);
});

test('a live queue past maxLiveQueue on a full sink drops to the store and still delivers all, in order', async (t) => {
  const b = await started(await bench(t, { maxLiveQueue: 2, frameDataBytes: 1 }, ['m1']));
  b.sink.room = 0;
  const reads = b.world.store.reads;

  for (const data of ['m2', 'm3', 'm4', 'm5', 'm6']) await b.publish(data); // one commit each
  await b.world.deferred.settle();
  assert.deepEqual(b.sink.seqs(), [1]);
  assert.equal(b.world.store.reads, reads, 'no read while the sink is full');

  b.sink.room = Infinity;
  b.stream.drained();
  await b.world.deferred.settle();

  assert.deepEqual(b.sink.seqs(), range(1, 6));
  assert.deepEqual(b.sink.texts(), range(1, 6).map((n) => `"m${n}"`));
  assert.equal(b.world.store.reads, reads + 1, 'the overflow was read back from the store');
});

test('a live queue past maxLiveQueueBytes on a full sink drops to the store too, however few its messages', async (t) => {
  // Each message's data is its JSON text, 4 bytes here: three pass a 10-byte bound.
  const b = await started(await bench(t, { maxLiveQueueBytes: 10, frameDataBytes: 1 }, ['m1']));
  b.sink.room = 0;
  const reads = b.world.store.reads;

  for (const data of ['m2', 'm3', 'm4', 'm5']) await b.publish(data);
  await b.world.deferred.settle();
  assert.deepEqual(b.sink.seqs(), [1]);
  assert.equal(b.world.store.reads, reads, 'no read while the sink is full');

  b.sink.room = Infinity;
  b.stream.drained();
  await b.world.deferred.settle();

  assert.deepEqual(b.sink.texts(), range(1, 5).map((n) => `"m${n}"`));
  assert.equal(b.world.store.reads, reads + 1, 'the overflow was read back from the store, not held');
});

test('acked() above what was sent, or not a seq, throws ERR_PROTOCOL', async (t) => {
  const b = await started(await bench(t, {}, ['m1', 'm2', 'm3']));
  for (const bad of [4, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
    assert.throws(() => b.stream.acked(bad), { code: 'ERR_PROTOCOL' }, `acked(${bad})`);
  }
  b.stream.acked(3);
  b.stream.acked(0);
});

test('acked() accepts the resume cursor before anything is sent, and nothing above it', async (t) => {
  const b = await bench(t, {}, [], 5);
  b.stream.acked(5);
  assert.throws(() => b.stream.acked(6), { code: 'ERR_PROTOCOL' });
});

test('a valid ack reaches the store (status acked, payload erased) once the commit queue flushes', async (t) => {
  const b = await bench(t, {}, ['m1', 'm2', 'm3']);
  const ids = (await b.world.store.pendingMessages(b.clientId, 0, 10, b.world.clock.now())).map((m) => m.id);
  await started(b);

  b.stream.acked(2);
  assert.equal(await b.status(ids[1]!), 'delivered', 'not before the commit');
  await b.world.commits.flush();

  assert.deepEqual(await Promise.all(ids.map((id) => b.status(id))), ['acked', 'acked', 'delivered']);
  assert.equal(b.world.storedPayload(APP, ids[0]!), null);
  assert.equal((await b.world.store.getClient(APP, b.clientId))?.ackedSeq, 2);
});

test('stop() stops all sending: live offers, drains and an in-flight read', async (t) => {
  const b = await started(await bench(t, {}, ['m1']));
  b.stream.stop();
  await b.publish('m2');
  b.stream.drained();
  await b.world.deferred.settle();
  assert.deepEqual(b.sink.seqs(), [1]);

  const c = await bench(t, {}, ['m1']);
  const release = c.world.store.holdReads();
  await started(c);
  c.stream.stop();
  release();
  await c.world.deferred.settle();
  assert.deepEqual(c.sink.seqs(), []);
});

test('a payload altered in the database is skipped, never sent, and not read again', async (t) => {
  const b = await bench(t, {}, ['m1', 'm2', 'm3']);
  const ids = (await b.world.store.pendingMessages(b.clientId, 0, 10, b.world.clock.now())).map((m) => m.id);
  b.world.tamperPayload(APP, ids[1]!);
  b.world.store.reads = 0;

  await started(b); // settle() would throw if the stream kept rescheduling itself

  assert.deepEqual(b.sink.seqs(), [1, 3]);
  assert.equal(b.world.store.reads, 1);
  assert.ok(b.world.logger.entries.some((e) => e.level === 'error' && (e.obj as { messageId?: string }).messageId === ids[1]));

  await b.publish('m4');
  assert.deepEqual(b.sink.seqs(), [1, 3, 4]);
  assert.equal(b.world.store.reads, 1, 'the stream went live past the bad row');
});

test('an altered payload at the end of a full page does not make the stream read it again', async (t) => {
  const b = await bench(t, { pageSize: 2 }, ['m1', 'm2']);
  const ids = (await b.world.store.pendingMessages(b.clientId, 0, 10, b.world.clock.now())).map((m) => m.id);
  b.world.tamperPayload(APP, ids[0]!);
  b.world.tamperPayload(APP, ids[1]!);
  b.world.store.reads = 0;

  await started(b);

  assert.deepEqual(b.sink.seqs(), []);
  assert.equal(b.world.store.reads, 2, 'the bad page once, then an empty page');
  await b.publish('m3');
  assert.deepEqual(b.sink.seqs(), [3]);
});

const targetOf = (b: Bench): CatchUpTarget => ({ clientId: b.clientId, recheck: (lastSeq) => b.stream.recheck(lastSeq) });

test('periodic catch-up: the last messages of a burst whose envelope was lost are read from the store', async (t) => {
  const b = await started(await bench(t, {}, ['m1']));
  b.muted = true;
  await b.publish('m2', 'm3'); // the envelope is lost and no later message reveals the gap
  await b.world.deferred.settle();
  assert.deepEqual(b.sink.seqs(), [1]);
  const reads = b.world.store.reads;

  await b.world.run(catchUpPass(b.world.store, [targetOf(b)], b.world.logger));
  await b.world.deferred.settle();

  assert.deepEqual(b.sink.texts(), ['"m1"', '"m2"', '"m3"']);
  assert.equal(b.world.store.reads, reads + 1);
  b.muted = false;
  await b.publish('m4');
  assert.deepEqual(b.sink.seqs(), [1, 2, 3, 4], 'and the stream is live again');
});

test('periodic catch-up reads no messages for a client that is not behind, and asks once per page of clients', async (t) => {
  const b = await started(await bench(t, {}, ['m1']));
  await b.publish('m2'); // offered live
  const reads = b.world.store.reads;
  const absent: CatchUpTarget[] = Array.from({ length: LAST_SEQS_MAX }, (_, i) => ({ clientId: `c_absent${i}`, recheck: () => assert.fail('unknown client rechecked') }));
  b.world.store.lastSeqReads = 0;

  await b.world.run(catchUpPass(b.world.store, [...absent, targetOf(b)], b.world.logger));
  await b.world.deferred.settle();

  assert.equal(b.world.store.lastSeqReads, 2, `${LAST_SEQS_MAX + 1} live clients: two lastSeqs queries`);
  assert.equal(b.world.store.reads, reads, 'no message read for a stream that sent everything');
  assert.deepEqual(b.sink.seqs(), [1, 2]);
});

test('periodic catch-up reads once for a last seq that is not pending any more (expired before it was sent)', async (t) => {
  const b = await started(await bench(t, {}, ['m1']));
  b.muted = true;
  await b.world.run(b.world.publisher.publish(APP, [{ to: b.clientId, data: 'short', ttl: 1 }]));
  b.world.clock.advance(1000); // expired, never sent
  const reads = b.world.store.reads;

  await b.world.run(catchUpPass(b.world.store, [targetOf(b)], b.world.logger));
  await b.world.deferred.settle();
  await b.world.run(catchUpPass(b.world.store, [targetOf(b)], b.world.logger));
  await b.world.deferred.settle();

  assert.equal(b.world.store.reads, reads + 1, 'one read showed seq 2 is not pending; the next pass does not ask again');
  assert.deepEqual(b.sink.seqs(), [1]);
  b.muted = false;
  await b.publish('m3');
  assert.deepEqual(b.sink.seqs(), [1, 3]);
});

test('periodic catch-up retries a catch-up read that failed', async (t) => {
  const b = await bench(t, {}, ['m1', 'm2']);
  const pending = b.world.store.pendingMessages.bind(b.world.store);
  let fail = true;
  b.world.store.pendingMessages = async (...args) => {
    if (fail) throw new Error('connection lost');
    return pending(...args);
  };
  await started(b);
  assert.deepEqual(b.sink.seqs(), [], 'the read failed');
  fail = false;

  await b.world.run(catchUpPass(b.world.store, [targetOf(b)], b.world.logger));
  await b.world.deferred.settle();

  assert.deepEqual(b.sink.seqs(), [1, 2]);
});
