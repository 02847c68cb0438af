/** A lost live envelope right after a catch-up must send the stream back to the store, never let a cumulative ACK cover it. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DELIVERY_LIMITS, DeliveryStream } from '../../src/domain/usecases/delivery-stream.js';
import { DomainWorld, RecordingSink } from '../helpers/domain.js';

const APP = 'app_gap';

async function caughtUp(t: TestContext) {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const client = await world.createClient(APP, 1);
  await world.publish(APP, client.id, ['m1', 'm2']);
  const sink = new RecordingSink();
  const stream = new DeliveryStream(APP, client.id, 0, sink, {
    store: world.store, payloads: await world.cipherOf(APP, client.id), commits: world.commits, clock: world.clock,
    defer: world.deferred.defer, logger: world.logger, limits: DEFAULT_DELIVERY_LIMITS,
  });
  const route = { muted: false };
  world.onPublished = (_id, messages) => { if (!route.muted) stream.offer(messages); };
  return { world, client, sink, stream, route };
}

test('the first live offer after a catch-up is checked for a gap', async (t) => {
  const { world, client, sink, stream, route } = await caughtUp(t);
  stream.start();
  await world.deferred.settle();
  route.muted = true;
  const [m3] = await world.publish(APP, client.id, ['m3']); // its envelope is lost: the bus is best effort
  route.muted = false;
  await world.publish(APP, client.id, ['m4']); // offered with seq 4
  await world.deferred.settle();
  stream.acked(Math.max(...sink.seqs())); // the client acks what it got, cumulatively
  await world.commits.flush();

  assert.deepEqual(sink.seqs(), [1, 2, 3, 4]);
  assert.notEqual((await world.store.getMessage(APP, m3!))?.deliveredAt, null);
});

test('an offer that arrives with a gap during the catch-up read is checked too', async (t) => {
  const { world, client, sink, stream, route } = await caughtUp(t);
  const release = world.store.holdReads();
  stream.start();
  await world.deferred.settle();
  route.muted = true;
  await world.publish(APP, client.id, ['m3']); // lost
  route.muted = false;
  await world.publish(APP, client.id, ['m4']); // offered during the read
  release();
  await world.deferred.settle();

  assert.deepEqual(sink.seqs(), [1, 2, 3, 4]);
});
