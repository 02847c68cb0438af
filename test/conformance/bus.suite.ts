/**
 * The Bus conformance suite. `open()` returns a bus as another node of the same cluster
 * would see it (the same instance for a one-process driver, a new connection for a shared
 * one). Delivery is awaited as an event, never slept for.
 */
import { describe, test } from 'node:test';
import { eventually } from '../helpers/server.js';
import assert from 'node:assert/strict';
import type { Bus, BusEnvelope } from '../../src/domain/ports/bus.js';

export interface BusFixture {
  open(): Promise<Bus>;
  /** Resolves once the subscriptions made so far on `bus` receive (a shared driver subscribes asynchronously). */
  settle?(bus: Bus): Promise<void>;
  /**
   * Stops `bus` as a crashed node would: it no longer refreshes anything and clears nothing.
   * Omitted by a one-process driver (its nodes cannot die apart); the expiry test is skipped.
   */
  crash?(bus: Bus): Promise<void>;
  /** Closes every bus the fixture opened. */
  cleanup(): Promise<void>;
}

export type BusFactory = () => Promise<BusFixture>;

function envelope(clientId: string, seq: number): BusEnvelope {
  return {
    clientId,
    messages: [{ seq, id: `m${seq}`, createdAt: 1_700_000_000_000 + seq, data: new TextEncoder().encode(`{"n":${seq}}`) }],
  };
}

/** Collects envelopes and lets a test wait until `count` have arrived. */
function inbox() {
  const received: BusEnvelope[] = [];
  let waiting: { count: number; resolve: () => void } | undefined;
  return {
    received,
    handler: (env: BusEnvelope) => {
      received.push(env);
      if (waiting !== undefined && received.length >= waiting.count) waiting.resolve();
    },
    until: (count: number) => new Promise<void>((resolve) => {
      if (received.length >= count) resolve();
      else waiting = { count, resolve };
    }),
  };
}

export function runBusConformance(driverName: string, factory: BusFactory): void {
  async function withBus(fn: (fx: BusFixture) => Promise<void>): Promise<void> {
    const fx = await factory();
    try {
      await fn(fx);
    } finally {
      await fx.cleanup();
    }
  }

  describe(`Bus conformance: ${driverName}`, () => {
    test('an envelope published to a node reaches its handler intact', () => withBus(async (fx) => {
      const nodeA = await fx.open();
      const publisher = await fx.open();
      const box = inbox();
      nodeA.subscribe('node-a', box.handler);
      await fx.settle?.(nodeA);
      const sent = envelope('c1', 1);
      await publisher.publish('node-a', sent);
      await box.until(1);
      const [got] = box.received;
      assert.equal(got?.clientId, 'c1');
      assert.deepEqual(got?.messages.map((m) => [m.seq, m.id, m.createdAt, Buffer.from(m.data).toString('utf8')]),
        [[1, 'm1', 1_700_000_000_001, '{"n":1}']]);
    }));

    test('envelopes to one node arrive in publish order, and only there', () => withBus(async (fx) => {
      const bus = await fx.open();
      const a = inbox();
      const b = inbox();
      bus.subscribe('node-a', a.handler);
      bus.subscribe('node-b', b.handler);
      await fx.settle?.(bus);
      for (let seq = 1; seq <= 20; seq++) await bus.publish('node-a', envelope('c1', seq));
      await bus.publish('node-b', envelope('c2', 1));
      await a.until(20);
      await b.until(1);
      assert.deepEqual(a.received.map((e) => e.messages[0]?.seq), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.deepEqual(b.received.map((e) => e.clientId), ['c2']);
    }));

    test('an envelope to a node without a handler is dropped, not queued', () => withBus(async (fx) => {
      const bus = await fx.open();
      await bus.publish('node-z', envelope('c1', 1));
      const box = inbox();
      bus.subscribe('node-z', box.handler);
      await fx.settle?.(bus);
      await bus.publish('node-z', envelope('c1', 2));
      await box.until(1);
      assert.equal(box.received[0]?.messages[0]?.seq, 2);
    }));

    test('after unsubscribe the old handler gets nothing', () => withBus(async (fx) => {
      const bus = await fx.open();
      const old = inbox();
      const unsubscribe = bus.subscribe('node-a', old.handler);
      unsubscribe();
      const fresh = inbox();
      bus.subscribe('node-a', fresh.handler);
      await fx.settle?.(bus);
      await bus.publish('node-a', envelope('c1', 1));
      await fresh.until(1);
      assert.equal(old.received.length, 0);
    }));

    test('presence: set, located from any node, moved, cleared', () => withBus(async (fx) => {
      const one = await fx.open();
      const two = await fx.open();
      assert.equal(await one.locate('c1'), undefined);
      await one.setPresence('c1', 'node-a');
      assert.equal(await two.locate('c1'), 'node-a');
      await two.setPresence('c1', 'node-b');
      assert.equal(await one.locate('c1'), 'node-b');
      await one.setPresence('c2', 'node-a');
      await one.clearPresence('c1', 'node-a');
      assert.equal(await one.locate('c1'), 'node-b', 'a node that no longer holds the client cannot clear it');
      await two.clearPresence('c1', 'node-b');
      assert.equal(await one.locate('c1'), undefined);
      assert.equal(await two.locate('c2'), 'node-a');
    }));

    test('a former holder clearing while a new holder sets never removes the new presence', () => withBus(async (fx) => {
      const one = await fx.open();
      const two = await fx.open();
      for (let round = 0; round < 30; round++) {
        const clientId = `race-${round}`;
        await one.setPresence(clientId, 'node-a');
        await Promise.all([two.setPresence(clientId, 'node-b'), one.clearPresence(clientId, 'node-a')]);
        assert.equal(await one.locate(clientId), 'node-b', `round ${round}`);
      }
    }));

    test("a dead node's presence vanishes by itself; a live node's stays", async (t) => {
      const probe = await factory();
      const canCrash = probe.crash !== undefined;
      await probe.cleanup();
      if (!canCrash) {
        t.skip('the driver has no separate nodes to crash');
        return;
      }
      await withBus(async (fx) => {
        const live = await fx.open();
        const dead = await fx.open();
        await live.setPresence('c-live', 'node-live');
        await dead.setPresence('c-dead', 'node-dead');
        await fx.crash!(dead);
        // Set before c-dead: had it not been refreshed, it would be gone by the time c-dead is.
        await eventually(async () => ((await live.locate('c-dead')) === undefined ? true : undefined), 'the dead node\'s presence to expire');
        assert.equal(await live.locate('c-live'), 'node-live');
      });
    });
  });
}
