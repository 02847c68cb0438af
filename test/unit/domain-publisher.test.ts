/** Publisher on the real SQLite store and the real at-rest cipher. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { payloadAad } from '../../src/domain/usecases/payload-aad.js';
import type { PublishLimits } from '../../src/domain/publish-request.js';
import { DomainWorld } from '../helpers/domain.js';

const APP = 'app_publisher';
const OTHER_APP = 'app_other';
const LIMITS: PublishLimits = { maxDataBytes: 64, defaultTtlSeconds: 60, maxTtlSeconds: 3600 };
const utf8 = new TextEncoder();

async function setup(t: TestContext) {
  const world = DomainWorld.open(t, { limits: LIMITS });
  await world.createApp(APP);
  await world.createApp(OTHER_APP);
  const client = (await world.createClient(APP, 1)).id;
  const foreign = (await world.createClient(OTHER_APP, 2)).id;
  const publish = (items: unknown[], appId = APP) => world.run(world.publisher.publish(appId, items));
  return { world, client, foreign, publish };
}

const codeOf = (result: object): string | undefined => (result as { error?: { code: string } }).error?.code;

test('one result per item, in order, each with its own error; the valid ones still go through', async (t) => {
  const { world, client, foreign, publish } = await setup(t);
  const results = await publish([
    { to: client, data: { n: 1 } },
    { to: client },
    { to: client, data: 'x'.repeat(LIMITS.maxDataBytes) },
    { to: foreign, data: 1 },
    { to: 'nobody', data: 1 },
    'not a message',
    { to: client, data: { n: 2 }, id: 'job-2' },
  ]);

  assert.equal(results.length, 7);
  assert.deepEqual(results.map(codeOf), [
    undefined,
    'ERR_BAD_REQUEST',
    'ERR_TOO_LARGE',
    'ERR_NOT_FOUND',
    'ERR_NOT_FOUND',
    'ERR_BAD_REQUEST',
    undefined,
  ]);
  const first = results[0] as { id: string; status: string };
  assert.match(first.id, /^[A-Za-z0-9_-]{24}$/, 'a generated id');
  assert.equal(first.status, 'queued');
  assert.deepEqual(results[6], { id: 'job-2', status: 'queued' });
  assert.equal((await world.store.getMessage(APP, first.id))?.seq, 1);
  assert.equal((await world.store.getMessage(APP, 'job-2'))?.seq, 2);
  assert.equal((await world.store.countPending(foreign, world.clock.now())), 0, 'nothing reached the other app’s client');
});

test('a publish where every item is refused writes nothing', async (t) => {
  const { world, publish } = await setup(t);
  const commits = world.store.batches.length;
  const results = await publish([{ to: 'bad id!', data: 1 }, {}]);
  assert.deepEqual(results.map(codeOf), ['ERR_BAD_REQUEST', 'ERR_BAD_REQUEST']);
  assert.equal(world.store.batches.length, commits);
});

test('a duplicate id returns the first message’s id and current status, and keeps its data', async (t) => {
  const { world, client, publish } = await setup(t);
  assert.deepEqual(await publish([{ to: client, data: 'first', id: 'job-1' }]), [{ id: 'job-1', status: 'queued' }]);
  world.commits.markDelivered(client, 1);
  await world.commits.flush();

  assert.deepEqual(await publish([{ to: client, data: 'first', id: 'job-1' }]), [{ id: 'job-1', status: 'delivered' }]);
  const [conflict] = await publish([{ to: client, data: 'second', id: 'job-1' }]);
  assert.equal(conflict && 'error' in conflict && conflict.error.code, 'ERR_IDEMPOTENCY_CONFLICT', 'other data under the same id');
  const sealed = world.storedPayload(APP, 'job-1')!;
  const cipher = await world.cipherOf(APP, client);
  assert.equal(new TextDecoder().decode(cipher.open(sealed, payloadAad(APP, client, 'job-1'))), '"first"');

  // Twice in one request: one message.
  assert.deepEqual(await publish([{ to: client, data: 1, id: 'twin' }, { to: client, data: 1, id: 'twin' }]), [
    { id: 'twin', status: 'queued' },
    { id: 'twin', status: 'queued' },
  ]);
  assert.equal((await world.store.getMessage(APP, 'twin'))?.seq, 2);
  assert.equal(await world.store.countPending(client, world.clock.now()), 2, 'job-1 and one twin');
});

test('the stored payload is sealed: not the plaintext, and it opens only with its own AAD', async (t) => {
  const { world, client, foreign, publish } = await setup(t);
  const marker = 'plaintext-marker-1234';
  await publish([{ to: client, data: { marker }, id: 'sealed-1' }]);

  const sealed = world.storedPayload(APP, 'sealed-1')!;
  assert.ok(sealed.length > 0);
  assert.equal(Buffer.from(sealed).includes(marker), false, 'the plaintext is not in the row');
  const cipher = await world.cipherOf(APP, client);
  const opened = cipher.open(sealed, payloadAad(APP, client, 'sealed-1'));
  assert.deepEqual(opened, utf8.encode(JSON.stringify({ marker })));

  for (const aad of [
    payloadAad(APP, client, 'sealed-2'),
    payloadAad(APP, foreign, 'sealed-1'),
    payloadAad(OTHER_APP, client, 'sealed-1'),
  ]) {
    assert.throws(() => cipher.open(sealed, aad), { code: 'ERR_INTERNAL' });
  }
});

test('messageStatus reports a due message as expired before the sweep, and only a pending one', async (t) => {
  const { world, client, publish } = await setup(t);
  await publish([
    { to: client, data: 1, id: 'acked', ttl: 10 },
    { to: client, data: 2, id: 'delivered', ttl: 10 },
    { to: client, data: 3, id: 'queued', ttl: 10 },
    { to: client, data: 4, id: 'default-ttl' },
  ]);
  world.commits.markAcked(client, 1); // marks are cumulative: acked covers seq 1, delivered seqs 1-2
  world.commits.markDelivered(client, 2);
  await world.commits.flush();

  world.clock.advance(10_000);
  for (const id of ['queued', 'delivered']) {
    assert.equal((await world.publisher.messageStatus(APP, id)).status, 'expired', id);
    assert.equal((await world.store.getMessage(APP, id))?.status, id, `${id}: not swept yet`);
  }
  assert.equal((await world.publisher.messageStatus(APP, 'acked')).status, 'acked');

  const view = await world.publisher.messageStatus(APP, 'default-ttl');
  assert.equal(view.status, 'queued');
  assert.equal(view.to, client);
  assert.equal(Date.parse(view.expiresAt) - Date.parse(view.createdAt), LIMITS.defaultTtlSeconds * 1000);
  assert.equal(view.deliveredAt, null);
});

test('a queued message past its ttl reads as expired', async (t) => {
  const { world, client, publish } = await setup(t);
  await publish([{ to: client, data: 1, id: 'short', ttl: 1 }]);
  world.clock.advance(999);
  assert.equal((await world.publisher.messageStatus(APP, 'short')).status, 'queued');
  world.clock.advance(1);
  assert.equal((await world.publisher.messageStatus(APP, 'short')).status, 'expired');
  assert.equal((await world.store.getMessage(APP, 'short'))?.status, 'queued');
});

test('messageStatus and clientInfo refuse another app’s ids with ERR_NOT_FOUND', async (t) => {
  const { world, client, foreign, publish } = await setup(t);
  await publish([{ to: client, data: 1, id: 'mine' }]);

  await assert.rejects(world.publisher.messageStatus(OTHER_APP, 'mine'), { code: 'ERR_NOT_FOUND' });
  await assert.rejects(world.publisher.messageStatus(APP, 'unknown'), { code: 'ERR_NOT_FOUND' });
  await assert.rejects(world.publisher.clientInfo(APP, foreign), { code: 'ERR_NOT_FOUND' });
  assert.deepEqual(await world.publisher.clientInfo(APP, client), { id: client, online: false, lastSeen: null, pending: 1, hpkeKey: null });
});
