/**
 * Resumption tickets on the real SQLite store: sealed under per-epoch keys that every node
 * shares and that are erased two epochs on (forward secrecy for tickets), opened only intact,
 * and accepted by Sessions once each, unexpired, for a client that still exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainWorld, ManualClock, staticKey } from '../helpers/domain.js';
import type { Kms } from '../../src/domain/ports/kms.js';
import { Sessions, type ResumptionTicket } from '../../src/domain/usecases/sessions.js';
import { TICKET_KEY_PURPOSE, TicketKeys } from '../../src/domain/usecases/ticket-keys.js';
import { MemoryNonceCache } from '../../src/drivers/nonces/memory.js';
import { TicketSealer, sealTicket, openTicket } from '../../src/crypto/node/ticket.js';
import { concatBytes, hexEncode, utf8Encode } from '../../src/crypto/encoding.js';

const APP = 'app_tickets';
const LIFETIME_MS = 60_000;

/** Wraps by prefixing the context: enough to see that keys are stored wrapped under theirs. */
const kms: Kms = {
  wrap: async (plaintext, context) => concatBytes(utf8Encode(`${context}|`), plaintext),
  unwrap: async (blob, context) => {
    const prefix = utf8Encode(`${context}|`);
    if (hexEncode(blob.subarray(0, prefix.length)) !== hexEncode(prefix)) throw new Error('wrong context');
    return blob.slice(prefix.length);
  },
};

/** A node: its own key cache, the shared store and clock. */
function node(world: DomainWorld, clock: ManualClock = world.clock): TicketSealer {
  return new TicketSealer(new TicketKeys({ store: world.store, kms, clock }, LIFETIME_MS), clock);
}

const subject = { appId: APP, clientId: 'c_1', identityVersion: 1, psk: new Uint8Array(32).fill(7) };

test('a ticket opens on any node of the deployment, intact, with what it was issued with', async (t) => {
  const world = DomainWorld.open(t);
  const { ticket, expiresAt } = await node(world).issue(subject);
  assert.equal(expiresAt, world.clock.now() + LIFETIME_MS);
  const opened = await node(world).open(ticket);
  assert.deepEqual({ ...opened, id: undefined, psk: [...opened.psk] }, { ...subject, id: undefined, psk: [...subject.psk], issuedAt: world.clock.now(), expiresAt });
  assert.equal(opened.id.length, 16);
  // Two nodes in one epoch agree on one key: the store holds one version for it.
  await node(world).issue(subject);
  assert.equal((await world.store.listServerKeys(TICKET_KEY_PURPOSE)).length, 1);
});

test('an altered ticket, or one of an unknown epoch, is ERR_TICKET', async (t) => {
  const world = DomainWorld.open(t);
  const sealer = node(world);
  const { ticket } = await sealer.issue(subject);
  for (const at of [0, 2, 6, ticket.length - 1]) {
    const altered = ticket.slice();
    altered[at]! ^= 1;
    await assert.rejects(sealer.open(altered), { code: 'ERR_TICKET' }, `byte ${at}`);
  }
  await assert.rejects(sealer.open(ticket.subarray(0, 20)), { code: 'ERR_TICKET' });
  const otherKey = sealTicket(new Uint8Array(32).fill(1), new DataView(ticket.buffer).getUint32(1), { ...subject, id: new Uint8Array(16), issuedAt: 0, expiresAt: 1 });
  await assert.rejects(sealer.open(otherKey), { code: 'ERR_TICKET' }, 'sealed under another key');
  assert.throws(() => openTicket(new Uint8Array(32), ticket), { code: 'ERR_TICKET' });
});

test('two epochs on, an epoch key is erased from the store and no node opens its tickets (forward secrecy)', async (t) => {
  const world = DomainWorld.open(t);
  const sealer = node(world);
  const { ticket } = await sealer.issue(subject);
  world.clock.advance(LIFETIME_MS);
  assert.ok(await node(world).open(ticket), 'the previous epoch is still accepted');
  await sealer.issue(subject);
  world.clock.advance(LIFETIME_MS);
  await sealer.issue(subject); // the third epoch's key: the first one's is erased
  const epochs = (await world.store.listServerKeys(TICKET_KEY_PURPOSE)).map((k) => k.version);
  const first = new DataView(ticket.buffer).getUint32(1);
  assert.deepEqual(epochs, [first + 2, first + 1], 'the first epoch key is gone from the store');
  await assert.rejects(sealer.open(ticket), { code: 'ERR_TICKET' });
  await assert.rejects(node(world).open(ticket), { code: 'ERR_TICKET' });
  for (const stored of await world.store.listServerKeys(TICKET_KEY_PURPOSE)) {
    assert.match(new TextDecoder().decode(stored.wrappedSecret.subarray(0, 18)), /^server-key:ticket\|/, 'stored wrapped by the KMS');
  }
});

test('Sessions: a ticket resumes its client once; expired, for another app, or for a gone client it is refused', async (t) => {
  const world = DomainWorld.open(t);
  await world.createApp(APP);
  const client = await world.createClient(APP, 9);
  const claims = new MemoryNonceCache({ clock: world.clock });
  t.after(() => claims.close());
  const sessions = new Sessions(world.store, world.commits, world.clock, undefined, claims);
  const ticket: ResumptionTicket = { id: 'aa', appId: APP, clientId: client.id, expiresAt: world.clock.now() + LIFETIME_MS };

  const prepared = await sessions.prepareResumed(APP, ticket);
  assert.equal(prepared.known?.id, client.id);
  assert.equal(hexEncode(prepared.staticKey), hexEncode(staticKey(9)));
  const again = await sessions.prepareResumed(APP, ticket); // a second hello: reading changes nothing
  const opened = await world.run(sessions.confirm(prepared, 0));
  assert.equal(opened.resumed, true);
  await assert.rejects(world.run(sessions.confirm(again, 0)), { code: 'ERR_TICKET' }, 'claimed once');

  await assert.rejects(sessions.prepareResumed('app_other', ticket), { code: 'ERR_TICKET' });
  await assert.rejects(sessions.prepareResumed(APP, { ...ticket, expiresAt: world.clock.now() }), { code: 'ERR_TICKET' });
  await assert.rejects(sessions.prepareResumed(APP, { ...ticket, clientId: 'c_gone' }), { code: 'ERR_TICKET' });
  const off = new Sessions(world.store, world.commits, world.clock);
  await assert.rejects(off.prepareResumed(APP, ticket), { code: 'ERR_TICKET' }, 'resumption off: no claims possible');
});
