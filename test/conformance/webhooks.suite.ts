/**
 * WebhookEndpoints and WebhookOutbox (src/domain/ports/webhooks.ts), run against every driver:
 * the endpoints, the outbox rows the status changes write in their own transaction (and only
 * for subscribed apps), the lease, settling, failed events and their requeue.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/domain/ports/store.js';
import type { StoredWebhookEndpoint, WebhookEvent } from '../../src/domain/ports/webhooks.js';
import type { WebhookEventType } from '../../src/domain/webhooks.js';
import { T0, HOUR, batch, hex, msg, publish, secret, seed, withFreshStore, type StoreFactory, type StoreFixture } from './store-fixture.js';

function endpoint(id: string, appId: string, events: WebhookEventType[], batchMode = false): StoredWebhookEndpoint {
  return {
    id, appId, url: `https://hooks.example/${id}`, events, batch: batchMode, wrappedSecret: secret(id.length),
    previousWrappedSecret: null, previousSecretNotAfter: null, createdAt: T0, pausedAt: null, failingSince: null,
  };
}

const ALL: WebhookEventType[] = ['message.delivered', 'message.acked', 'message.expired'];

/** type:message:client of each pending event of an endpoint, in outbox order. */
async function outbox(store: Store, endpointId: string): Promise<string[]> {
  return (await store.pendingWebhookEvents(endpointId, 1000)).map((e) => `${e.type.slice(8)}:${e.messageId}:${e.clientId}`);
}

export function runWebhooksConformance(driverName: string, factory: StoreFactory): void {
  const withStore = (fn: (fx: StoreFixture, store: Store) => Promise<void>): Promise<void> => withFreshStore(factory, fn);

  describe(`Webhooks conformance: ${driverName}`, () => {
    test('endpoints: add, get, list per app in order, rotate the secret, remove; unknown ids say so', () => withStore(async (_fx, store) => {
      await seed(store);
      await store.addWebhookEndpoint(endpoint('whep_1', 'A', ['message.acked', 'message.expired']));
      await store.addWebhookEndpoint(endpoint('whep_2', 'A', ['message.delivered'], true));
      await store.addWebhookEndpoint(endpoint('whep_3', 'B', ALL));
      const got = await store.getWebhookEndpoint('whep_2');
      assert.deepEqual({ ...got, wrappedSecret: hex(got?.wrappedSecret) }, { ...endpoint('whep_2', 'A', ['message.delivered'], true), wrappedSecret: hex(secret(6)) });
      assert.deepEqual((await store.webhookEndpoints('A')).map((e) => [e.id, e.events]), [
        ['whep_1', ['message.acked', 'message.expired']],
        ['whep_2', ['message.delivered']],
      ]);
      assert.equal(await store.getWebhookEndpoint('nope'), undefined);
      assert.equal(await store.rotateWebhookSecret('whep_1', secret(9), T0 + HOUR), true);
      const rotated = await store.getWebhookEndpoint('whep_1');
      assert.equal(hex(rotated?.wrappedSecret), hex(secret(9)));
      assert.equal(hex(rotated?.previousWrappedSecret), hex(secret(6)), 'the old secret moves to previous');
      assert.equal(rotated?.previousSecretNotAfter, T0 + HOUR);
      assert.equal(await store.rotateWebhookSecret('nope', secret(9), T0), false);
      assert.equal(await store.removeWebhookEndpoint('whep_1'), true);
      assert.equal(await store.removeWebhookEndpoint('whep_1'), false);
      assert.deepEqual((await store.webhookEndpoints('A')).map((e) => e.id), ['whep_2']);
    }));

    test('outbox: delivered, acked and expired changes write one event per message and subscribed endpoint, in order; none for other apps', () => withStore(async (_fx, store) => {
      await seed(store);
      await store.addWebhookEndpoint(endpoint('whep_all', 'A', ALL));
      await store.addWebhookEndpoint(endpoint('whep_acked', 'A', ['message.acked']));
      await publish(store, [msg('A', 'a1', 'm1'), msg('A', 'a1', 'm2'), msg('A', 'a1', 'm3', T0 + 10), msg('A', 'a2', 'n1'), msg('B', 'b1', 'x1')]);
      await store.commit(batch({ delivered: [{ clientId: 'a1', uptoSeq: 1 }, { clientId: 'b1', uptoSeq: 1 }], at: T0 + 1 }));
      // m1 was delivered: acked only; m2 goes queued -> acked: its delivered event comes first.
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 2 }], at: T0 + 2 }));
      assert.equal(await store.expireMessages(T0 + 20, 100), 1, 'm3 expires');
      assert.deepEqual(await outbox(store, 'whep_all'), [
        'delivered:m1:a1', 'delivered:m2:a1', 'acked:m1:a1', 'acked:m2:a1', 'expired:m3:a1',
      ]);
      assert.deepEqual(await outbox(store, 'whep_acked'), ['acked:m1:a1', 'acked:m2:a1']);
      const events = await store.pendingWebhookEvents('whep_all', 10);
      const byKey = new Map(events.map((e) => [`${e.type}:${e.messageId}`, e]));
      const m1 = byKey.get('message.acked:m1')!;
      assert.deepEqual([m1.at, m1.createdAt, m1.expiresAt, m1.deliveredAt, m1.ackedAt, m1.attempts, m1.nextAt, m1.lastError, m1.appId, m1.endpointId],
        [T0 + 2, T0, T0 + HOUR, T0 + 1, T0 + 2, 0, T0 + 2, null, 'A', 'whep_all']);
      assert.equal(byKey.get('message.acked:m2')!.deliveredAt, T0 + 2, 'acked without a delivered mark: delivered at the ack');
      assert.equal(byKey.get('message.expired:m3')!.ackedAt, null);
      assert.ok(events.every((e, i) => i === 0 || e.no > events[i - 1]!.no), 'outbox order');
      assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'every event has its own webhook-id');
      assert.ok(events.every((e) => /^evt_[0-9a-f]{24}$/.test(e.id)), 'ids are evt_ and 96 random bits');
      const other = await store.pendingWebhookEvents('whep_acked', 10);
      assert.ok(other.every((e) => !events.some((f) => f.id === e.id)), 'ids differ across endpoints');
    }));

    test('outbox: an app without endpoints gets no rows; an endpoint sees only changes after it was added', () => withStore(async (_fx, store) => {
      await seed(store);
      await publish(store, [msg('A', 'a1', 'm1'), msg('A', 'a1', 'm2')]);
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 1 }], at: T0 + 1 }));
      await store.addWebhookEndpoint(endpoint('whep_1', 'A', ALL));
      assert.deepEqual(await outbox(store, 'whep_1'), []);
      assert.deepEqual(await store.webhookQueueStats(), { pending: 0, failed: 0, oldestAt: null });
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 2 }], at: T0 + 2 }));
      assert.deepEqual(await outbox(store, 'whep_1'), ['delivered:m2:a1', 'acked:m2:a1']);
      assert.deepEqual(await store.webhookQueueStats(), { pending: 2, failed: 0, oldestAt: T0 + 2 });
    }));

    test('lease: one owner at a time; free again once it runs out or is released; paused endpoints are never claimed', () => withStore(async (_fx, store) => {
      await seed(store);
      await store.addWebhookEndpoint(endpoint('whep_1', 'A', ALL));
      await store.addWebhookEndpoint(endpoint('whep_2', 'A', ALL));
      assert.deepEqual(await store.claimWebhookEndpoints('n1', T0, T0 + 1000, 10), [], 'nothing due: nothing claimed');
      await publish(store, [msg('A', 'a1', 'm1')]);
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 1 }], at: T0 + 1 }));
      assert.deepEqual((await store.claimWebhookEndpoints('n1', T0 + 5, T0 + 1000, 1)).map((e) => e.id), ['whep_1'], 'limit');
      assert.deepEqual((await store.claimWebhookEndpoints('n2', T0 + 5, T0 + 1000, 10)).map((e) => e.id), ['whep_2'], 'n1 holds whep_1');
      assert.deepEqual(await store.claimWebhookEndpoints('n2', T0 + 999, T0 + 2000, 10).then((l) => l.map((e) => e.id)), ['whep_2'], 'the owner renews');
      assert.deepEqual((await store.claimWebhookEndpoints('n2', T0 + 1000, T0 + 3000, 10)).map((e) => e.id).sort(), ['whep_1', 'whep_2'], 'n1 ran out');
      await store.releaseWebhookEndpoints('n2');
      await store.settleWebhookEvents('whep_2', { sent: [], retries: [], failed: [], failingSince: T0, pausedAt: T0 + 5 });
      assert.deepEqual((await store.claimWebhookEndpoints('n1', T0 + 6, T0 + 100, 10)).map((e) => e.id), ['whep_1'], 'released, and whep_2 is paused');
      assert.equal((await store.getWebhookEndpoint('whep_2'))?.pausedAt, T0 + 5);
      assert.deepEqual(await store.webhookAppSummaries(), [{ appId: 'A', endpoints: 2, failing: 0, paused: 1, failedEvents: 0 }]);
    }));

    test('settle: sent events go, retries wait for their time, failed ones are kept apart; requeue brings them back and resumes', () => withStore(async (fx, store) => {
      await seed(store);
      await store.addWebhookEndpoint(endpoint('whep_1', 'A', ['message.acked']));
      await publish(store, [msg('A', 'a1', 'm1'), msg('A', 'a1', 'm2'), msg('A', 'a2', 'n1')]);
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 2 }, { clientId: 'a2', uptoSeq: 1 }], at: T0 + 1 }));
      const [e1, e2, e3] = (await store.pendingWebhookEvents('whep_1', 10)) as [WebhookEvent, WebhookEvent, WebhookEvent];
      await store.settleWebhookEvents('whep_1', {
        sent: [e1.no], retries: [{ no: e2.no, nextAt: T0 + 500, lastError: 'http 500' }], failed: [{ no: e3.no, nextAt: T0 + 2, lastError: 'timeout' }],
        failingSince: T0 + 1, pausedAt: null,
      });
      const reopened = await fx.reopen();
      const pending = await reopened.pendingWebhookEvents('whep_1', 10);
      assert.deepEqual(pending.map((e) => [e.messageId, e.attempts, e.nextAt, e.lastError]), [['m2', 1, T0 + 500, 'http 500']], 'durable');
      assert.deepEqual(await reopened.claimWebhookEndpoints('n1', T0 + 499, T0 + 1000, 10), [], 'not due before its time');
      assert.equal((await reopened.claimWebhookEndpoints('n1', T0 + 500, T0 + 1000, 10)).length, 1);
      assert.equal((await reopened.getWebhookEndpoint('whep_1'))?.failingSince, T0 + 1);
      const failed = await reopened.failedWebhookEvents('A', 10);
      assert.deepEqual(failed.map((e) => [e.messageId, e.clientId, e.attempts, e.lastError]), [['n1', 'a2', 1, 'timeout']]);
      assert.deepEqual(await reopened.failedWebhookEvents('B', 10), []);
      assert.deepEqual(await reopened.webhookQueueStats(), { pending: 1, failed: 1, oldestAt: T0 + 1 });
      assert.deepEqual(await reopened.webhookAppSummaries(), [{ appId: 'A', endpoints: 1, failing: 1, paused: 0, failedEvents: 1 }]);
      await reopened.settleWebhookEvents('whep_1', { sent: [], retries: [], failed: [], failingSince: T0 + 1, pausedAt: T0 + 600 });
      assert.equal(await reopened.requeueWebhookEvents('A', undefined, T0 + 400), 1);
      assert.deepEqual((await reopened.pendingWebhookEvents('whep_1', 10)).map((e) => [e.messageId, e.attempts, e.nextAt, e.retryFrom]), [
        ['m2', 1, T0 + 400, T0 + 1],
        ['n1', 0, T0 + 400, T0 + 400],
      ], 'the failed event is pending again with a new retry period, and the waiting one due now');
      const resumed = await reopened.getWebhookEndpoint('whep_1');
      assert.deepEqual([resumed?.pausedAt, resumed?.failingSince], [null, null], 'requeue resumes the endpoint');
    }));

    test('removing an endpoint, forgetting a client and deleting an app take their events with them', () => withStore(async (_fx, store) => {
      await seed(store);
      await store.addWebhookEndpoint(endpoint('whep_1', 'A', ['message.acked']));
      await store.addWebhookEndpoint(endpoint('whep_2', 'A', ['message.acked']));
      await publish(store, [msg('A', 'a1', 'm1'), msg('A', 'a2', 'n1')]);
      await store.commit(batch({ acked: [{ clientId: 'a1', uptoSeq: 1 }, { clientId: 'a2', uptoSeq: 1 }], at: T0 + 1 }));
      await store.forgetClient('a1', 'A', T0 + 2);
      assert.deepEqual(await outbox(store, 'whep_1'), ['acked:n1:a2'], 'the forgotten client\'s events are gone');
      assert.equal(await store.removeWebhookEndpoint('whep_1'), true);
      assert.deepEqual(await outbox(store, 'whep_1'), []);
      assert.deepEqual(await store.webhookQueueStats(), { pending: 1, failed: 0, oldestAt: T0 + 1 });
      assert.notEqual(await store.deleteApp('A', T0 + 3), undefined);
      assert.deepEqual(await store.webhookEndpoints('A'), []);
      assert.deepEqual(await store.webhookQueueStats(), { pending: 0, failed: 0, oldestAt: null });
    }));
  });
}
