/**
 * The retention clauses of the Store contract (usecases/retention.ts): `staleClients`
 * lists clients last seen (or created, never seen) before the cutoff that hold no message, and
 * `forgetClient` with `staleBefore` forgets only a client that is still stale in its own
 * transaction, so one seen or published to since the listing is kept.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DIRECT_DELIVERY } from '../../src/domain/delivery-settings.js';
import type { WriteBatch } from '../../src/domain/ports/message-log.js';
import type { Store } from '../../src/domain/ports/store.js';
import { withFreshStore, type MessageStoreFactory } from './message-store.suite.js';

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

const batch = (parts: Partial<WriteBatch>): WriteBatch => ({ clients: [], messages: [], delivered: [], acked: [], seen: [], at: T0, ...parts });
const client = (id: string, n: number, createdAt = T0) => ({ id, appId: 'A', staticKey: new Uint8Array(32).fill(n), keySalt: new Uint8Array(32).fill(100 + n), createdAt });
const message = (clientId: string, id: string) => ({ appId: 'A', id, clientId, payload: new TextEncoder().encode(`sealed:${id}`), createdAt: T0, expiresAt: T0 + DAY });

/**
 * Four clients of app A: `old` last seen at T0, `recent` seen at T0 + 30 days, `never` created
 * at T0 and never marked seen, `busy` seen at T0 with one message pending.
 */
async function seed(store: Store): Promise<void> {
  await store.createApp({ id: 'A', name: 'A', wrappedSecret: new Uint8Array(4), createdAt: T0, delivery: DIRECT_DELIVERY });
  await store.commit(batch({ clients: [client('old', 1), client('recent', 2), client('never', 3), client('busy', 4)] }));
  await store.commit(batch({ seen: ['old', 'busy'], at: T0 }));
  await store.commit(batch({ seen: ['recent'], at: T0 + 30 * DAY }));
  await store.commit(batch({ messages: [message('busy', 'm1')] }));
}

export function runMessageStoreRetentionConformance(driverName: string, factory: MessageStoreFactory): void {
  const withStore = (fn: (store: Store) => Promise<void>): Promise<void> => withFreshStore(factory, (_fx, store) => fn(store));

  describe(`Store retention conformance: ${driverName}`, () => {
    test('staleClients: last seen (or created, never seen) before the cutoff, holding no message; up to limit', () => withStore(async (store) => {
      await seed(store);
      assert.deepEqual((await store.staleClients(T0 + DAY, 10)).sort(), ['never', 'old']);
      assert.deepEqual((await store.staleClients(T0 + 31 * DAY, 10)).sort(), ['never', 'old', 'recent']);
      assert.deepEqual(await store.staleClients(T0, 10), [], 'the cutoff is exclusive');
      assert.equal((await store.staleClients(T0 + DAY, 1)).length, 1);
    }));

    test('forgetClient with staleBefore: forgets a stale client; keeps one seen or published to since', () => withStore(async (store) => {
      await seed(store);
      const cutoff = T0 + DAY;
      assert.equal((await store.forgetClient('old', undefined, cutoff, cutoff))?.tombstone.clientId, 'old');
      assert.equal(await store.getClient('A', 'old'), undefined);
      // Listed as stale, then seen again before the forget: kept.
      await store.commit(batch({ seen: ['never'], at: cutoff + 1 }));
      assert.equal(await store.forgetClient('never', undefined, cutoff, cutoff), undefined);
      assert.ok(await store.getClient('A', 'never'), 'a client seen since is kept');
      assert.equal(await store.forgetClient('busy', undefined, cutoff, cutoff), undefined, 'a client holding a message is kept');
      assert.equal((await store.getMessage('A', 'm1'))?.status, 'queued');
      assert.equal(await store.forgetClient('recent', undefined, cutoff, cutoff), undefined);
      assert.deepEqual(await store.staleClients(cutoff, 10), []);
    }));
  });
}
