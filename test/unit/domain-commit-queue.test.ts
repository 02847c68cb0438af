/**
 * CommitQueue on the real SQLite store: group commit per deferred turn, per-item outcomes,
 * the announce to live delivery, failure handling, batch splitting and flush().
 * Commits are counted through the instrumented store, which wraps the real one.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { CommitQueue, type PendingPublish } from '../../src/domain/usecases/commit-queue.js';
import { authFailureEvent, overflowEvent } from '../../src/domain/audit.js';
import type { DeliverableMessage } from '../../src/domain/types.js';
import { DomainWorld, T0, staticKey, type WorldOptions } from '../helpers/domain.js';

const APP = 'app_commits';
const OTHER_APP = 'app_other';
const HOUR = 3_600_000;
const utf8 = new TextEncoder();

interface Announce {
  readonly clientId: string;
  readonly seqs: number[];
  readonly texts: string[];
}

async function setup(t: TestContext, options: WorldOptions = {}) {
  const world = DomainWorld.open(t, options);
  await world.createApp(APP);
  await world.createApp(OTHER_APP);
  const c1 = (await world.createClient(APP, 1)).id;
  const c2 = (await world.createClient(APP, 2)).id;
  const foreign = (await world.createClient(OTHER_APP, 3)).id;
  const announced: Announce[] = [];
  world.onPublished = (clientId, messages: DeliverableMessage[]) => {
    announced.push({ clientId, seqs: messages.map((m) => m.seq), texts: messages.map((m) => new TextDecoder().decode(m.data)) });
  };
  const commitsBefore = world.store.batches.length;
  return { world, c1, c2, foreign, announced, commitsSince: () => world.store.batches.length - commitsBefore };
}

/** A message for the queue; the payload stands in for a sealed one (the queue never opens it). */
function item(clientId: string, id: string, appId = APP): PendingPublish {
  return {
    message: { appId, id, clientId, payload: utf8.encode(`sealed ${id}`), createdAt: T0, expiresAt: T0 + HOUR },
    data: utf8.encode(JSON.stringify(id)),
  };
}

test('publish calls made in one turn share one store commit, resolved only after it', async (t) => {
  const { world, c1, c2, commitsSince } = await setup(t);
  let resolved = 0;
  const calls = [
    world.commits.publish([item(c1, 'a')]),
    world.commits.publish([item(c2, 'b'), item(c1, 'c')]),
    world.commits.publish([item(c1, 'd')]),
  ];
  for (const call of calls) void call.then(() => resolved++);
  world.commits.markSeen(c2);
  assert.equal(commitsSince(), 0, 'nothing is written before the deferred turn');

  const results = await world.run(Promise.all(calls));

  assert.equal(commitsSince(), 1);
  assert.equal(resolved, 3);
  const batch = world.store.batches.at(-1)!;
  assert.deepEqual(batch.messages.map((m) => m.id), ['a', 'b', 'c', 'd']);
  assert.deepEqual(batch.seen, [c2]);
  assert.deepEqual(results, [
    [{ kind: 'inserted', seq: 1 }],
    [{ kind: 'inserted', seq: 1 }, { kind: 'inserted', seq: 2 }],
    [{ kind: 'inserted', seq: 3 }],
  ]);
  assert.equal((await world.store.getMessage(APP, 'd'))?.seq, 3);
});

test('outcomes are per item and in order: inserted, unknown client, duplicate, another app’s client', async (t) => {
  const { world, c1, foreign } = await setup(t);
  const outcomes = await world.run(
    world.commits.publish([item(c1, 'x'), item('nobody', 'y'), item(c1, 'x'), item(foreign, 'z'), item(c1, 'w')]),
  );

  assert.deepEqual(outcomes.map((o) => o.kind), ['inserted', 'unknown-client', 'duplicate', 'unknown-client', 'inserted']);
  assert.deepEqual(outcomes[0], { kind: 'inserted', seq: 1 });
  assert.deepEqual(outcomes[4], { kind: 'inserted', seq: 2 }, 'refused items consume no seq');
  const dup = outcomes[2]!;
  assert.ok(dup.kind === 'duplicate');
  assert.equal(dup.existing.id, 'x');
  assert.equal(dup.existing.seq, 1);
  assert.equal(await world.store.getMessage(APP, 'z'), undefined);
});

test('announce runs once per client per commit, with its inserted messages in seq order', async (t) => {
  const { world, c1, c2, announced } = await setup(t);
  await world.run(
    world.commits.publish([item(c1, 'p'), item(c2, 'q'), item(c1, 'r'), item(c1, 'p'), item('nobody', 's'), item(c2, 't'), item(c1, 'u')]),
  );

  assert.deepEqual(announced, [
    { clientId: c1, seqs: [1, 2, 3], texts: ['"p"', '"r"', '"u"'] },
    { clientId: c2, seqs: [1, 2], texts: ['"q"', '"t"'] },
  ]);

  await world.run(world.commits.publish([item(c2, 'v'), item(c1, 'w')]));
  assert.deepEqual(announced.slice(2).map((a) => [a.clientId, a.seqs]), [[c2, [3]], [c1, [4]]]);
});

test('a live delivery that throws neither fails the publish nor stops the other clients’ announce', async (t) => {
  const { world, c1, c2 } = await setup(t);
  const heard: string[] = [];
  world.onPublished = (clientId) => {
    if (clientId === c1) throw new Error('socket gone');
    heard.push(clientId);
  };
  const outcomes = await world.run(world.commits.publish([item(c1, 'a'), item(c2, 'b')]));
  assert.deepEqual(outcomes.map((o) => o.kind), ['inserted', 'inserted']);
  assert.deepEqual(heard, [c2]);
  assert.ok(world.logger.entries.some((e) => e.level === 'error' && (e.obj as { clientId?: string }).clientId === c1));
});

test('a failed commit rejects every waiter of its batch with ERR_UNAVAILABLE and keeps the marks for the next one', async (t) => {
  const { world, c1, announced, commitsSince } = await setup(t);
  await world.run(world.commits.publish([item(c1, 'm1'), item(c1, 'm2')]));
  announced.length = 0;
  const before = commitsSince();

  world.store.failNextCommit();
  const publish = world.commits.publish([item(c1, 'lost1'), item(c1, 'lost2')]);
  const addClient = world.commits.addClient({ id: 'new-client', appId: APP, staticKey: staticKey(9), keySalt: staticKey(10), createdAt: T0 });
  world.commits.markDelivered(c1, 2);
  world.commits.markAcked(c1, 1);
  world.commits.markSeen(c1);
  const settled = await world.run(Promise.allSettled([publish, addClient]));

  for (const result of settled) {
    assert.equal(result.status, 'rejected');
    assert.equal((result as PromiseRejectedResult).reason.code, 'ERR_UNAVAILABLE');
  }
  assert.equal(await world.store.getMessage(APP, 'lost1'), undefined);
  assert.equal(await world.store.getClient(APP, 'new-client'), undefined);
  assert.deepEqual(announced, [], 'nothing refused is offered to live delivery');

  // The marks went into the next commit on their own, without the refused messages.
  assert.equal(commitsSince(), before + 2);
  const retry = world.store.batches.at(-1)!;
  assert.deepEqual(retry.messages, []);
  assert.deepEqual(retry.clients, []);
  assert.deepEqual(retry.delivered, [{ clientId: c1, uptoSeq: 2 }]);
  assert.deepEqual(retry.acked, [{ clientId: c1, uptoSeq: 1 }]);
  assert.deepEqual(retry.seen, [c1]);
  assert.equal((await world.store.getMessage(APP, 'm1'))?.status, 'acked');
  assert.equal((await world.store.getMessage(APP, 'm2'))?.status, 'delivered');
  assert.equal((await world.store.getClient(APP, c1))?.lastSeenAt, world.clock.now());
});

test('marks kept from a failed commit merge with newer ones: the higher seq wins either way', async (t) => {
  const { world, c1 } = await setup(t);
  await world.run(world.commits.publish(['m1', 'm2', 'm3', 'm4'].map((id) => item(c1, id))));

  world.store.failNextCommit();
  const release = world.store.holdCommits();
  world.commits.markDelivered(c1, 3);
  world.commits.markAcked(c1, 1);
  await world.deferred.settle(); // the failing commit is in flight
  world.commits.markDelivered(c1, 2); // lower than the kept delivered mark
  world.commits.markAcked(c1, 2); // higher than the kept acked mark
  release();
  await world.commits.flush();

  const retry = world.store.batches.at(-1)!;
  assert.deepEqual(retry.delivered, [{ clientId: c1, uptoSeq: 3 }]);
  assert.deepEqual(retry.acked, [{ clientId: c1, uptoSeq: 2 }]);
  assert.equal((await world.store.getClient(APP, c1))?.ackedSeq, 2);
  assert.equal((await world.store.getMessage(APP, 'm3'))?.status, 'delivered');
  assert.equal((await world.store.getMessage(APP, 'm4'))?.status, 'queued');
});

test('every receipt of acked marks that merge is kept, in order, and a failed commit keeps them for the next one', async (t) => {
  const { world, c1 } = await setup(t);
  await world.run(world.commits.publish(['m1', 'm2', 'm3'].map((id) => item(c1, id))));
  const receipt = (fromSeq: number, uptoSeq: number, ids: string[]) => ({
    fromSeq,
    uptoSeq,
    messages: ids.map((id, i) => ({ seq: fromSeq + i + 1, id })),
    signature: new Uint8Array(64).fill(uptoSeq),
  });

  world.store.failNextCommit();
  const release = world.store.holdCommits();
  world.commits.markAcked(c1, 1, receipt(0, 1, ['m1']));
  world.commits.markAcked(c1, 2, receipt(1, 2, ['m2']));
  await world.deferred.settle(); // the failing commit is in flight, with both receipts
  world.commits.markAcked(c1, 3, receipt(2, 3, ['m3']));
  release();
  await world.commits.flush();

  const failed = world.store.batches.at(-2)!;
  assert.deepEqual(failed.acked.map((m) => [m.uptoSeq, m.receipts?.map((r) => r.uptoSeq)]), [[2, [1, 2]]], 'one mark, both receipts');
  const retry = world.store.batches.at(-1)!;
  assert.deepEqual(retry.acked.map((m) => [m.uptoSeq, m.receipts?.map((r) => r.uptoSeq)]), [[3, [1, 2, 3]]], 'the failed ones first');
  for (const [i, id] of ['m1', 'm2', 'm3'].entries()) {
    assert.equal((await world.store.getReceipt(APP, id))?.uptoSeq, i + 1, id);
  }
});

test('more than maxBatchMessages split into several commits, in order', async (t) => {
  const { world, c1, announced, commitsSince } = await setup(t, { maxBatchMessages: 2 });
  const first = world.commits.publish(['a', 'b', 'c', 'd', 'e'].map((id) => item(c1, id)));
  const second = world.commits.publish([item(c1, 'f')]);
  world.commits.markSeen(c1);

  const [one, two] = await world.run(Promise.all([first, second]));

  assert.equal(commitsSince(), 3);
  assert.deepEqual(world.store.batches.slice(-3).map((b) => b.messages.map((m) => m.id)), [['a', 'b'], ['c', 'd'], ['e', 'f']]);
  assert.deepEqual([...one!, ...two!].map((o) => (o.kind === 'inserted' ? o.seq : o.kind)), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(announced.map((a) => a.seqs), [[1, 2], [3, 4], [5, 6]]);
});

test('a call split over several commits is refused whole when one of them fails: its later items are never committed', async (t) => {
  const { world, c1 } = await setup(t, { maxBatchMessages: 2 });
  world.store.failNextCommit();
  const split = world.commits.publish(['a', 'b', 'c', 'd'].map((id) => item(c1, id)));
  const other = world.commits.publish([item(c1, 'e')]);

  await assert.rejects(world.run(split), (err: unknown) => (err as { code?: string }).code === 'ERR_UNAVAILABLE');
  assert.deepEqual(await world.run(other), [{ kind: 'inserted', seq: 1 }], 'the next call commits as usual');
  await world.run(world.commits.flush());
  for (const id of ['a', 'b', 'c', 'd']) assert.equal(await world.store.getMessage(APP, id), undefined, id);
});

/**
 * A spacing whose clock and timers the test moves by hand once `manual` is set; before that
 * (while setup creates clients) a wait moves the clock on and runs at once.
 */
function manualSpacing(minIntervalMs: number) {
  const waits: { ms: number; fn: () => void }[] = [];
  const spacing = {
    minIntervalMs,
    at: 0,
    manual: false,
    now: () => spacing.at,
    wait: (ms: number, fn: () => void) => {
      if (spacing.manual) return void waits.push({ ms, fn });
      spacing.at += ms;
      fn();
    },
  };
  return { spacing, waits };
}

test('with spacing, publishes within the interval after a commit started share the next commit; one after a quiet spell commits at once', async (t) => {
  const { spacing, waits } = manualSpacing(2);
  const { world, c1, commitsSince } = await setup(t, { spacing });
  Object.assign(spacing, { manual: true, at: 100 });
  await world.run(world.commits.publish([item(c1, 'a')]));
  assert.equal(commitsSince(), 1);
  assert.equal(waits.length, 0, 'the first publish commits at once');

  spacing.at = 100.5;
  const b = world.commits.publish([item(c1, 'b')]);
  await world.deferred.settle();
  spacing.at = 101.25;
  const c = world.commits.publish([item(c1, 'c')]);
  await world.deferred.settle();
  assert.equal(commitsSince(), 1, 'b and c wait out the interval');
  assert.deepEqual(waits.map((w) => w.ms), [1.5], 'one wait, for the rest of the interval');

  spacing.at = 102;
  waits.shift()!.fn();
  assert.deepEqual(await world.run(Promise.all([b, c])), [[{ kind: 'inserted', seq: 2 }], [{ kind: 'inserted', seq: 3 }]]);
  assert.equal(commitsSince(), 2);
  assert.deepEqual(world.store.batches.at(-1)!.messages.map((m) => m.id), ['b', 'c'], 'one commit for both');

  spacing.at = 110;
  await world.run(world.commits.publish([item(c1, 'd')]));
  assert.equal(commitsSince(), 3);
  assert.equal(waits.length, 0, 'after a quiet spell, no wait');
});

test('with spacing, a commit that took longer than the interval is followed at once', async (t) => {
  const { spacing, waits } = manualSpacing(2);
  const { world, c1, commitsSince } = await setup(t, { spacing });
  Object.assign(spacing, { manual: true, at: 100 });
  const release = world.store.holdCommits();
  const first = world.commits.publish([item(c1, 'a')]);
  await world.deferred.settle();
  const second = world.commits.publish([item(c1, 'b')]);
  await world.deferred.settle();
  spacing.at = 105;
  release();
  await world.run(Promise.all([first, second]));
  assert.equal(commitsSince(), 2);
  assert.equal(waits.length, 0);
});

test('flush() resolves only when everything queued, including work queued during a commit, is committed', async (t) => {
  const { world, c1, commitsSince } = await setup(t);
  const release = world.store.holdCommits();
  const first = world.commits.publish([item(c1, 'a')]);
  await world.deferred.settle(); // commit of 'a' is in flight, held
  const second = world.commits.publish([item(c1, 'b')]);
  world.commits.markSeen(c1);
  let flushed = false;
  const flush = world.commits.flush().then(() => (flushed = true));
  await world.deferred.settle();

  assert.equal(flushed, false);
  assert.equal(commitsSince(), 1, 'commits run one at a time');
  assert.equal(await world.store.getMessage(APP, 'a'), undefined);

  release();
  await flush;
  assert.deepEqual(await Promise.all([first, second]), [[{ kind: 'inserted', seq: 1 }], [{ kind: 'inserted', seq: 2 }]]);
  assert.equal(commitsSince(), 2);
  assert.equal((await world.store.getMessage(APP, 'b'))?.seq, 2);
  assert.equal((await world.store.getClient(APP, c1))?.lastSeenAt, world.clock.now());

  await world.commits.flush();
  assert.equal(commitsSince(), 2, 'flushing an empty queue commits nothing');
});

test('audit events ride the next commit, bounded: the excess is counted in an overflow record, and a failed commit keeps them', async (t) => {
  const { world } = await setup(t);
  const queue = new CommitQueue(world.store, world.clock, world.deferred.defer, world.logger, () => {}, { maxAuditEvents: 3 });
  const failure = (n: number) => authFailureEvent({ scheme: 'none', code: 'ERR_AUTH_MISSING', remote: `10.0.0.${n}` });
  world.store.failNextCommit();
  for (let n = 1; n <= 5; n++) queue.recordAudit(failure(n));
  await queue.flush();
  const [failed, committed] = world.store.batches.slice(-2);
  assert.equal(failed!.audit?.length, 4);
  assert.deepEqual(committed!.audit, [failure(1), failure(2), failure(3), overflowEvent(2)]);
  const records = await world.store.auditRecords(0, 100);
  assert.deepEqual(records.slice(-4).map((r) => [r.kind, r.fields]), committed!.audit!.map((e) => [e.kind, e.fields]));
});
