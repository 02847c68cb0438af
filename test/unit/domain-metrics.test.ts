/**
 * What the domain reports to the Metrics port: a recording port stands in for prom-client
 * (the port is the seam; the integration test scrapes the real exposition).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DELIVERY_LIMITS, DeliveryStream } from '../../src/domain/usecases/delivery-stream.js';
import { NO_METRICS, type Metrics } from '../../src/domain/ports/metrics.js';
import { DomainWorld, RecordingSink, T0 } from '../helpers/domain.js';

const APP = 'app_metrics';

class RecordingMetrics implements Metrics {
  readonly counts = { published: 0, delivered: 0, acked: 0, expired: 0 };
  readonly commits: number[] = [];
  readonly latencies: number[] = [];
  handshake = NO_METRICS.handshake;
  authFailure = NO_METRICS.authFailure;
  published(n: number): void {
    this.counts.published += n;
  }
  delivered(n: number): void {
    this.counts.delivered += n;
  }
  acked(n: number): void {
    this.counts.acked += n;
  }
  expired(n: number): void {
    this.counts.expired += n;
  }
  deliveryLatency(seconds: number): void {
    this.latencies.push(seconds);
  }
  commitLatency(seconds: number): void {
    this.commits.push(seconds);
  }
}

test('acked counts the messages each ACK newly covers, partial frames and repeats included', async (t) => {
  const metrics = new RecordingMetrics();
  const world = DomainWorld.open(t, { metrics });
  await world.createApp(APP);
  const client = await world.createClient(APP, 1);
  await world.publish(APP, client.id, ['m1', 'm2', 'm3', 'm4']);
  assert.equal(metrics.counts.published, 4);
  assert.ok(metrics.commits.length >= 1, 'each commit is observed');
  const commitsSoFar = metrics.commits.length;

  const sink = new RecordingSink();
  const deps = { store: world.store, payloads: await world.cipherOf(APP, client.id), commits: world.commits, clock: world.clock, defer: world.deferred.defer, logger: world.logger, limits: DEFAULT_DELIVERY_LIMITS, metrics };
  const stream = new DeliveryStream(APP, client.id, 0, sink, deps);
  world.onPublished = (clientId, messages) => {
    if (clientId === client.id) stream.offer(messages);
  };
  stream.start();
  await world.deferred.settle();
  assert.equal(sink.frames.length, 1, 'the four go out in one frame');
  assert.equal(metrics.counts.delivered, 4);
  assert.deepEqual(metrics.latencies, [], 'catch-up deliveries are not live latency');

  stream.acked(1);
  assert.equal(metrics.counts.acked, 1, 'an ACK inside a frame counts what it covers');
  stream.acked(3);
  stream.acked(3);
  assert.equal(metrics.counts.acked, 3, 'a repeated ACK counts nothing');

  await world.publish(APP, client.id, ['m5']);
  await world.deferred.settle();
  assert.equal(metrics.counts.delivered, 5);
  // The manual clock stood still between acceptance and sending.
  assert.deepEqual(metrics.latencies, [0], 'a live delivery is observed once');
  stream.acked(5);
  assert.equal(metrics.counts.acked, 5, 'm4 and m5');
  assert.ok(metrics.commits.length > commitsSoFar);
});

test('queueDepth is the backlog waiting for a commit, and drops to 0 when a commit fails', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const client = await world.createClient(APP, 1);
  const item = (id: string) => ({
    message: { appId: APP, id, clientId: client.id, payload: new Uint8Array([1]), createdAt: T0, expiresAt: T0 + 3_600_000 },
    data: new Uint8Array([1]),
  });
  const ok = world.commits.publish([item('a'), item('b')]);
  assert.equal(world.commits.queueDepth, 2);
  await world.run(ok);
  assert.equal(world.commits.queueDepth, 0);

  world.store.failNextCommit();
  const failing = world.commits.publish([item('c')]);
  assert.equal(world.commits.queueDepth, 1);
  await assert.rejects(world.run(failing));
  assert.equal(world.commits.queueDepth, 0);
});
