/**
 * Delivered marks held for their ACK (PendingMarks with a hold), on the real SQLite store
 * through the CommitQueue: under a steady publish stream the next commit is a few ms away, and
 * without the hold each message row would be written twice, delivered and then acked.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { PendingPublish } from '../../src/domain/usecases/commit-queue.js';
import { DomainWorld, T0 } from '../helpers/domain.js';

const APP = 'app_hold';
const HOUR = 3_600_000;
const utf8 = new TextEncoder();

function item(clientId: string, id: string): PendingPublish {
  return { message: { appId: APP, id, clientId, payload: utf8.encode(`sealed ${id}`), createdAt: T0, expiresAt: T0 + HOUR }, data: utf8.encode(id) };
}

/** A hold whose ticks the test runs by hand. */
async function setup(t: TestContext) {
  const ticks: (() => void)[] = [];
  const world = DomainWorld.open(t, { holdDelivered: { ms: 1000, wait: (_ms, fn) => void ticks.push(fn) } });
  await world.createApp(APP);
  const c1 = (await world.createClient(APP, 1)).id;
  const c2 = (await world.createClient(APP, 2)).id;
  const tick = async (): Promise<void> => {
    const due = ticks.splice(0);
    for (const fn of due) fn();
    await world.deferred.settle();
  };
  return { world, c1, c2, ticks, tick };
}

test('a delivered mark its ACK covers within the hold is never written: each row is written once, acked', async (t) => {
  const { world, c1, tick } = await setup(t);
  await world.run(world.commits.publish([item(c1, 'a'), item(c1, 'b')]));
  world.commits.markDelivered(c1, 2);
  await world.run(world.commits.publish([item(c1, 'c')]));
  assert.deepEqual(world.store.batches.at(-1)!.delivered, [], 'the next publish commit does not carry the held mark');

  world.commits.markAcked(c1, 2);
  await world.run(world.commits.flush());
  await tick();
  await tick();
  await world.run(world.commits.flush());
  assert.equal(world.store.batches.filter((b) => b.delivered.length > 0).length, 0, 'no delivered mark was ever written');
  assert.equal((await world.store.getMessage(APP, 'b'))?.status, 'acked');
  assert.equal((await world.store.getMessage(APP, 'c'))?.status, 'queued');
});

test('an ACK that covers only part of a held mark leaves the rest, which is written once the hold ends', async (t) => {
  const { world, c1, c2, ticks, tick } = await setup(t);
  await world.run(world.commits.publish([item(c1, 'a'), item(c1, 'b'), item(c2, 'x')]));
  world.commits.markDelivered(c1, 2);
  world.commits.markDelivered(c2, 1);
  world.commits.markAcked(c1, 1);
  await world.deferred.settle();
  assert.equal(ticks.length, 1, 'one timer for all held marks');

  await tick();
  await tick();
  const written = world.store.batches.flatMap((b) => b.delivered);
  assert.deepEqual(
    written.sort((x, y) => x.clientId.localeCompare(y.clientId)),
    [{ clientId: c1, uptoSeq: 2 }, { clientId: c2, uptoSeq: 1 }].sort((x, y) => x.clientId.localeCompare(y.clientId)),
  );
  assert.equal((await world.store.getMessage(APP, 'a'))?.status, 'acked');
  assert.equal((await world.store.getMessage(APP, 'b'))?.status, 'delivered');
  assert.equal((await world.store.getMessage(APP, 'x'))?.status, 'delivered');
});

test('a held mark with no ACK is written after two ticks, without a flush, and only then', async (t) => {
  const { world, c1, tick } = await setup(t);
  await world.run(world.commits.publish([item(c1, 'a')]));
  world.commits.markDelivered(c1, 1);
  await world.deferred.settle();
  await tick();
  assert.equal((await world.store.getMessage(APP, 'a'))?.status, 'queued', 'after one tick it is still held');
  await tick();
  assert.equal((await world.store.getMessage(APP, 'a'))?.status, 'delivered');
  assert.deepEqual(world.store.batches.at(-1)!.delivered, [{ clientId: c1, uptoSeq: 1 }]);
});
