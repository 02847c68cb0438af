/**
 * Per-client ciphers and forgetting, on the real SQLite store: the publish path reads a
 * client once, not per message; a forgotten client's key is evicted, its messages and row
 * are gone, and its static key makes a new client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPayloadKeyring } from '../../src/crypto/node/at-rest.js';
import { ClientCiphers } from '../../src/domain/usecases/client-ciphers.js';
import { Forgetting, RECENTLY_FORGOTTEN_MS } from '../../src/domain/usecases/forget.js';
import { payloadAad } from '../../src/domain/usecases/payload-aad.js';
import { DomainWorld, ManualClock, staticKey } from '../helpers/domain.js';

const APP = 'app_forget';
const OTHER = 'app_other';

test('a warm client costs no store read per publish; a miss costs one', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const client = await world.createClient(APP, 1);
  const before = world.store.clientReads;
  await world.publish(APP, client.id, ['a']);
  assert.equal(world.store.clientReads - before, 1, 'the first publish reads the client');
  await world.publish(APP, client.id, ['b', 'c', 'd']);
  await world.run(world.publisher.publish(APP, Array.from({ length: 50 }, (_, i) => ({ to: client.id, data: i }))));
  assert.equal(world.store.clientReads - before, 1, 'later publishes seal from the cache');
  assert.equal(await world.store.countPending(client.id, world.clock.now()), 54);
});

test('a cold client whose row cannot be read refuses the whole request as ERR_UNAVAILABLE, not as a crash', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const client = await world.createClient(APP, 1);
  await world.store.close(); // the store is unreachable
  await assert.rejects(world.run(world.publisher.publish(APP, [{ to: client.id, data: 1 }])), { code: 'ERR_UNAVAILABLE' });
});

test('each client’s messages open only with its own key', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const alice = await world.createClient(APP, 1);
  const bob = await world.createClient(APP, 2);
  const [id] = await world.publish(APP, alice.id, [{ secret: 1 }]);
  const sealed = world.storedPayload(APP, id!)!;
  assert.deepEqual(JSON.parse(new TextDecoder().decode((await world.cipherOf(APP, alice.id)).open(sealed, payloadAad(APP, alice.id, id!)))), { secret: 1 });
  assert.notDeepEqual(alice.keySalt, bob.keySalt);
  // Bob's key, even given Alice's aad (as a row moved to Bob would be opened with), refuses.
  const bobCipher = await world.cipherOf(APP, bob.id);
  assert.throws(() => bobCipher.open(sealed, payloadAad(APP, alice.id, id!)), { code: 'ERR_INTERNAL' });
});

test('the cipher cache is bounded, least recently used first, and never serves another app', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  await world.createApp(OTHER);
  const [a, b, c] = [await world.createClient(APP, 1), await world.createClient(APP, 2), await world.createClient(APP, 3)];
  const ciphers = new ClientCiphers(world.store, world.keyring, { capacity: 2 });
  ciphers.forClient(a);
  ciphers.forClient(b);
  assert.ok(ciphers.cached(APP, a.id), 'a is now the most recent');
  ciphers.forClient(c);
  assert.equal(ciphers.size, 2);
  assert.equal(ciphers.cached(APP, b.id), undefined, 'b was the least recently used');
  assert.ok(ciphers.cached(APP, a.id));
  assert.equal(ciphers.cached(OTHER, a.id), undefined, 'another app never gets a’s cipher');
  assert.equal(await ciphers.load(OTHER, a.id), undefined);
  ciphers.evict(a.id);
  assert.equal(ciphers.cached(APP, a.id), undefined);
});

test('a cipher unused for idleMs is dropped as the next is added; one in use stays', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const [a, b, c, d] = [await world.createClient(APP, 1), await world.createClient(APP, 2), await world.createClient(APP, 3), await world.createClient(APP, 4)];
  const elapsed = new ManualClock(0);
  const ciphers = new ClientCiphers(world.store, world.keyring, { idleMs: 60_000, elapsed });
  ciphers.forClient(a);
  ciphers.forClient(b);
  elapsed.advance(40_000);
  assert.ok(ciphers.cached(APP, a.id), 'a used at 40 s');
  elapsed.advance(30_000); // b idle 70 s, a 30 s
  assert.equal(ciphers.size, 2, 'nothing is dropped until a cipher is added');
  ciphers.forClient(c);
  assert.equal(ciphers.cached(APP, b.id), undefined, 'b, idle past 60 s, is gone');
  assert.ok(ciphers.cached(APP, a.id), 'a, used 30 s ago, stays');
  assert.equal(ciphers.size, 2);
  // A steady churn of clients levels off at those used within idleMs.
  for (let n = 0; n < 100; n++) {
    elapsed.advance(10_000);
    ciphers.forClient(n % 2 === 0 ? c : d);
    ciphers.forClient({ ...a, id: `churned-${n}` });
  }
  assert.equal(ciphers.size, 8, 'the clients of the last minute: c, d and six churned ones');
});

test('a load that races with an eviction does not cache the key it read', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const a = await world.createClient(APP, 1);
  const ciphers = new ClientCiphers(world.store, world.keyring);
  const loading = ciphers.load(APP, a.id);
  ciphers.evict(a.id); // forgotten while its row was being read
  assert.ok(await loading, 'the caller still gets the cipher it asked for');
  assert.equal(ciphers.cached(APP, a.id), undefined);
});

test('forgetting destroys the row, the messages and the cached key; the static key then makes a new client', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  await world.createApp(OTHER);
  const victim = await world.createClient(APP, 1);
  const bystander = await world.createClient(APP, 2);
  const ids = await world.publish(APP, victim.id, ['one', 'two', 'three']);
  await world.publish(APP, bystander.id, ['kept']);
  assert.ok(world.ciphers.cached(APP, victim.id));
  const dropped: string[] = [];
  world.forgetting.onForgotten((id) => dropped.push(id));

  await assert.rejects(world.forgetting.forget(victim.id, OTHER), { code: 'ERR_NOT_FOUND' }, 'another app’s client is not found');
  assert.ok(await world.store.getClient(APP, victim.id), 'and nothing changed');
  assert.deepEqual(dropped, []);

  const report = await world.forgetting.forget(victim.id, APP);
  assert.deepEqual({ ...report, forgottenAt: 0 }, { clientId: victim.id, appId: APP, messagesDeleted: 3, receiptsDeleted: 0, forgottenAt: 0, journalScrubbed: true });
  assert.deepEqual(dropped, [victim.id]);
  const admin = (await world.store.auditRecords(0, 1_000_000)).filter((r) => r.kind === 'admin').map((r) => JSON.parse(r.fields) as unknown);
  assert.deepEqual(admin.at(-1), { action: 'clients.forget', client: victim.id, app: APP, by: 'app', messagesDeleted: 3 }, 'the audit log records it');
  assert.equal(world.ciphers.cached(APP, victim.id), undefined, 'the cached key is evicted');
  assert.ok(world.forgetting.isForgotten(victim.id));
  assert.equal(await world.store.getClient(APP, victim.id), undefined);
  for (const id of ids) assert.equal(await world.store.getMessage(APP, id), undefined, 'its messages read as unknown');
  assert.deepEqual(await world.store.pendingMessages(bystander.id, 0, 10, world.clock.now()).then((rows) => rows.length), 1);

  const [again] = await world.run(world.publisher.publish(APP, [{ to: victim.id, data: 'late' }]));
  assert.equal((again as { error?: { code: string } }).error?.code, 'ERR_NOT_FOUND', 'publishing to it is 404');
  await assert.rejects(world.forgetting.forget(victim.id), { code: 'ERR_NOT_FOUND' }, 'forgetting twice is not found');

  const reborn = await world.run(world.sessions.prepare(APP, staticKey(1)).then((prepared) => world.sessions.confirm(prepared, 3)));
  assert.equal(reborn.resumed, false);
  assert.notEqual(reborn.client.id, victim.id, 'the same static key is a new client');
  assert.notDeepEqual(reborn.client.keySalt, victim.keySalt, 'with a new key');
});

test('a node polling tombstones learns of clients forgotten elsewhere, once, and only of new ones', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const [old, a, b] = [await world.createClient(APP, 1), await world.createClient(APP, 2), await world.createClient(APP, 3)];
  const admin = new Forgetting(world.store, world.clock); // the CLI: another process, no cache
  await admin.forget(old.id);

  const node = new Forgetting(world.store, world.clock, new ClientCiphers(world.store, createPayloadKeyring(world.payloadKey)));
  const seen: string[] = [];
  node.onForgotten((id) => seen.push(id));
  await node.start();
  await node.poll();
  assert.deepEqual(seen, [], 'tombstones from before the node started are history');

  await admin.forget(a.id);
  await admin.forget(b.id);
  await node.poll();
  await node.poll();
  assert.deepEqual(seen, [a.id, b.id]);
  assert.ok(node.isForgotten(a.id) && !node.isForgotten(old.id));
  world.clock.advance(RECENTLY_FORGOTTEN_MS);
  const c = await world.createClient(APP, 4);
  await admin.forget(c.id);
  await node.poll();
  assert.ok(!node.isForgotten(a.id), 'remembered only long enough to cover a handshake in flight');
  assert.ok(node.isForgotten(c.id));
});
