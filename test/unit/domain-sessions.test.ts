/** Sessions on the real SQLite store: first connect, resume, and the resume cursor. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { DomainWorld, staticKey } from '../helpers/domain.js';
import type { HelloKeys } from '../../src/domain/usecases/sessions.js';

const APP = 'app_sessions';
const KEY = staticKey(7);

/** A hello then its key confirmation, as a connection runs them. */
async function open(world: DomainWorld, appId: string, key: Uint8Array, lastSeq: number, keys: HelloKeys = {}, receipts = false) {
  return world.sessions.confirm(await world.sessions.prepare(appId, key, keys, receipts), lastSeq);
}

/** A known client (key KEY) with `count` messages, `acked` of them acked. */
async function knownClient(t: TestContext, count: number, acked = 0) {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const first = await world.run(open(world, APP, KEY, 0));
  const ids = count > 0 ? await world.publish(APP, first.client.id, Array.from({ length: count }, (_, i) => `m${i + 1}`)) : [];
  if (acked > 0) {
    world.commits.markAcked(first.client.id, acked);
    await world.commits.flush();
  }
  const statuses = async () => Promise.all(ids.map(async (id) => (await world.store.getMessage(APP, id))?.status));
  return { world, clientId: first.client.id, ids, statuses };
}

test('a new key creates a client: not resumed, cursor 0, stored and seen', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);

  const session = await world.run(open(world, APP, KEY, 0));
  await world.commits.flush();

  assert.equal(session.resumed, false);
  assert.equal(session.cursor, 0);
  assert.equal(session.client.appId, APP);
  const stored = await world.store.findClientByKey(APP, KEY);
  assert.equal(stored?.id, session.client.id);
  assert.equal(stored?.lastSeenAt, world.clock.now());

  const other = await world.run(open(world, APP, staticKey(8), 0));
  assert.notEqual(other.client.id, session.client.id, 'another key is another client');
});

test('the same key resumes the same client and acks up to the lastSeq it reports', async (t) => {
  const { world, clientId, statuses } = await knownClient(t, 3);
  world.clock.advance(5_000);

  const session = await world.run(open(world, APP, KEY, 2));
  await world.commits.flush();

  assert.equal(session.resumed, true);
  assert.equal(session.client.id, clientId);
  assert.equal(session.cursor, 2);
  assert.deepEqual(await statuses(), ['acked', 'acked', 'queued']);
  const stored = await world.store.getClient(APP, clientId);
  assert.equal(stored?.ackedSeq, 2);
  assert.equal(stored?.lastSeenAt, world.clock.now(), 'seen again on resume');
});

test('a lastSeq beyond anything assigned acks nothing beyond, not even a message committed with the ack', async (t) => {
  const { world, clientId, statuses } = await knownClient(t, 3);

  const opening = open(world, APP, KEY, 99);
  // Published in the same turn, seq 4 is committed no later than the ack mark, so a mark
  // of 99 would ack it too: only a bounded mark leaves it queued.
  const publishing = world.publisher.publish(APP, [{ to: clientId, data: 'm4', id: 'm4' }]);
  const [session] = await world.run(Promise.all([opening, publishing]));
  await world.commits.flush();

  assert.equal(session.cursor, 3, 'delivery resumes after the last seq that exists');
  assert.deepEqual(await statuses(), ['acked', 'acked', 'acked']);
  assert.equal((await world.store.getMessage(APP, 'm4'))?.seq, 4);
  assert.equal((await world.store.getMessage(APP, 'm4'))?.status, 'queued');
  assert.deepEqual(world.store.batches.flatMap((b) => b.acked), [{ clientId, uptoSeq: 3 }]);
});

test('the cursor never goes below the stored ackedSeq, and an older lastSeq acks nothing', async (t) => {
  const { world, statuses } = await knownClient(t, 4, 3);
  const commits = world.store.batches.length;

  const session = await world.run(open(world, APP, KEY, 1)); // a session saved long ago
  await world.commits.flush();

  assert.equal(session.resumed, true);
  assert.equal(session.cursor, 3);
  assert.deepEqual(await statuses(), ['acked', 'acked', 'acked', 'queued']);
  assert.ok(world.store.batches.slice(commits).every((b) => b.acked.length === 0), 'no ack mark for what is already acked');
});

test('closed() records when the client was last seen', async (t) => {
  const { world, clientId } = await knownClient(t, 0);
  world.clock.advance(60_000);
  world.sessions.closed(clientId);
  await world.commits.flush();
  assert.equal((await world.store.getClient(APP, clientId))?.lastSeenAt, world.clock.now());
});

test('ack keys: registered with the first hello that has one, never replaced; a keyed resume acks nothing from the hello', async (t) => {
  const { world, clientId, statuses } = await knownClient(t, 3);
  const ackKey = new Uint8Array(32).fill(1);

  const upgraded = await world.run(open(world, APP, KEY, 2, { ackKey: ackKey }, true));
  await world.commits.flush();
  assert.deepEqual([...(upgraded.ackKey ?? [])], [...ackKey], 'an older client registers its first key');
  assert.equal(upgraded.cursor, 0, 'what it holds unsigned is resent, to be signed for');
  assert.deepEqual(await statuses(), ['queued', 'queued', 'queued'], 'the hello acked nothing');

  await assert.rejects(world.run(open(world, APP, KEY, 2, { ackKey: new Uint8Array(32).fill(2) }, true)), { code: 'ERR_ACK_KEY_MISMATCH' });
  assert.deepEqual([...((await world.store.getClient(APP, clientId))?.ackKey ?? [])], [...ackKey], 'the first key stays');

  const plain = await world.run(open(world, APP, KEY, 2));
  await world.commits.flush();
  assert.equal(plain.ackKey, null, 'a hello without a key gets plain ACKs');
  assert.equal(plain.cursor, 2);
  assert.deepEqual(await statuses(), ['acked', 'acked', 'queued'], 'and its lastSeq acks as before');

  const fresh = await world.run(open(world, APP, staticKey(9), 0, { ackKey: ackKey }, true));
  assert.deepEqual([...(fresh.ackKey ?? [])], [...ackKey]);
  assert.deepEqual([...((await world.store.findClientByKey(APP, staticKey(9)))?.ackKey ?? [])], [...ackKey], 'a new client is created with it');
});

test('receipts off for the app: the ack key is still registered and checked, but ACKs stay plain and the hello acks as before', async (t) => {
  const { world, clientId, statuses } = await knownClient(t, 3);
  const ackKey = new Uint8Array(32).fill(1);

  const off = await world.run(open(world, APP, KEY, 2, { ackKey }, false));
  await world.commits.flush();
  assert.equal(off.ackKey, null, 'plain ACKs');
  assert.equal(off.cursor, 2);
  assert.deepEqual(await statuses(), ['acked', 'acked', 'queued'], "the hello's lastSeq acked");
  assert.deepEqual([...((await world.store.getClient(APP, clientId))?.ackKey ?? [])], [...ackKey], 'registered all the same');
  await assert.rejects(world.run(open(world, APP, KEY, 2, { ackKey: new Uint8Array(32).fill(2) }, false)), { code: 'ERR_ACK_KEY_MISMATCH' });

  const on = await world.run(open(world, APP, KEY, 3, { ackKey }, true));
  assert.deepEqual([...(on.ackKey ?? [])], [...ackKey], 'switched on: the key registered while off signs, no new client');
  assert.equal(on.client.id, clientId);

  const fresh = await world.run(open(world, APP, staticKey(9), 0, { ackKey }, false));
  assert.equal(fresh.ackKey, null);
  assert.deepEqual([...((await world.store.findClientByKey(APP, staticKey(9)))?.ackKey ?? [])], [...ackKey], 'a new client is created with it');
});

test("the hello's HPKE key is stored with a new client; a later hello's replaces it, and none clears it", async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const hex = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('hex') : null);
  const first = await world.run(open(world, APP, KEY, 0, { hpkeKey: staticKey(1) }));
  assert.equal(hex(first.client.hpkeKey), hex(staticKey(1)));
  assert.equal(hex((await world.store.getClient(APP, first.client.id))?.hpkeKey), hex(staticKey(1)));

  const moved = await world.run(open(world, APP, KEY, 0, { hpkeKey: staticKey(2) }));
  assert.equal(moved.client.id, first.client.id);
  assert.equal(hex(moved.client.hpkeKey), hex(staticKey(2)));
  assert.equal(hex((await world.store.getClient(APP, first.client.id))?.hpkeKey), hex(staticKey(2)));

  await world.run(open(world, APP, KEY, 0));
  assert.equal((await world.store.getClient(APP, first.client.id))?.hpkeKey ?? null, null, 'a hello without a key leaves none to seal to');
});

test('prepare reads only: no client created, no key registered or replaced, nothing acked or seen, until confirm', async (t) => {
  const { world, clientId, statuses } = await knownClient(t, 3);
  await world.commits.flush();
  const before = await world.store.getClient(APP, clientId);
  const commits = world.store.batches.length;
  world.clock.advance(5_000);

  const resumed = await world.run(world.sessions.prepare(APP, KEY, { ackKey: new Uint8Array(32).fill(1), hpkeKey: staticKey(3) }, true));
  const fresh = await world.run(world.sessions.prepare(APP, staticKey(9), { ackKey: new Uint8Array(32).fill(1) }));
  await world.commits.flush();

  assert.deepEqual([resumed.clientId, resumed.known?.id, resumed.signedAcks], [clientId, clientId, true]);
  assert.equal(fresh.known, null);
  assert.equal(await world.store.findClientByKey(APP, staticKey(9)), undefined, 'the new client waits for its confirmation');
  assert.deepEqual(await world.store.getClient(APP, clientId), before, 'ack key, HPKE key, acked seq and last seen unchanged');
  assert.deepEqual(await statuses(), ['queued', 'queued', 'queued']);
  assert.equal(world.store.batches.length, commits, 'no commit at all');

  const created = await world.run(world.sessions.confirm(fresh, 0));
  assert.equal(created.client.id, fresh.clientId, 'created at confirm, under the id message 2 named');
});

test('two confirmed handshakes of one new key: the second learns the first created the client under another id (ERR_UNAVAILABLE)', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const [a, b] = await world.run(Promise.all([world.sessions.prepare(APP, KEY), world.sessions.prepare(APP, KEY)]));
  assert.notEqual(a.clientId, b.clientId);
  await world.run(world.sessions.confirm(a, 0));
  await assert.rejects(world.run(world.sessions.confirm(b, 0)), { code: 'ERR_UNAVAILABLE' });
  assert.equal((await world.store.findClientByKey(APP, KEY))?.id, a.clientId);
});

test('an app deleted between the hello and the key confirmation: the confirmation is refused (ERR_NOT_FOUND) and stores nothing', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const prepared = await world.sessions.prepare(APP, KEY);
  await world.store.deleteApp(APP, Date.now());

  await assert.rejects(world.run(world.sessions.confirm(prepared, 0)), (err: { code?: string }) => err.code === 'ERR_NOT_FOUND');
  assert.equal(await world.store.findClientByKey(APP, KEY), undefined);
});

test('new clients are group-committed: concurrent new sessions share commits, not one each', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const release = world.store.holdCommits();
  // A first new session's commit is in flight (held); 20 more confirm meanwhile.
  const first = world.sessions.confirm(await world.sessions.prepare(APP, staticKey(100)), 0);
  await world.deferred.settle();
  const prepared = await Promise.all(Array.from({ length: 20 }, (_, i) => world.sessions.prepare(APP, staticKey(101 + i))));
  const rest = prepared.map((p) => world.sessions.confirm(p, 0));
  await world.deferred.settle();
  release();
  const opened = await world.run(Promise.all([first, ...rest]));
  assert.equal(new Set(opened.map((s) => s.client.id)).size, 21, '21 new clients');
  const withClients = world.store.batches.filter((b) => b.clients.length > 0);
  assert.deepEqual(withClients.map((b) => b.clients.length), [1, 20], 'the 20 that waited share the next commit');
});
