/**
 * The registry of this node's live clients, and the router over it: one connection per
 * client (a newer one supersedes the older), counts per app kept as connections come and
 * go, offers straight to the client's stream, presence here and through the bus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ErrorCode } from '../../src/domain/errors.js';
import type { DeliverableMessage } from '../../src/domain/types.js';
import { LiveClients, type LiveConnection, type SessionFacts } from '../../src/domain/usecases/live-clients.js';
import { Router } from '../../src/domain/usecases/router.js';
import { LocalBus } from '../../src/drivers/bus/local.js';
import { RecordingLogger } from '../helpers/domain.js';

const NODE = 'node-a';

/** A connection as the registry sees it: what its stream was offered, and how it was closed. */
class FakeConnection implements LiveConnection {
  readonly offered: (readonly DeliverableMessage[])[] = [];
  closedWith: ErrorCode | null = null;
  readonly facts: SessionFacts;
  readonly stream = { offer: (messages: readonly DeliverableMessage[]) => void this.offered.push(messages) };

  constructor(clientId: string, appId: string) {
    this.facts = {
      clientId,
      appId,
      delivery: { mode: 'direct' },
      deliveryKey: '{"mode":"direct"}',
      receipts: false,
      identityVersion: 1,
      identityNotAfter: null,
      sessionSecret: new Uint8Array(32),
    };
  }

  fail(code: ErrorCode): void {
    this.closedWith = code;
  }
}

function registry(bus = new LocalBus()): { live: LiveClients<FakeConnection>; bus: LocalBus } {
  return { live: new LiveClients<FakeConnection>({ bus, nodeId: NODE, logger: new RecordingLogger() }), bus };
}

/** Client c_1 connected twice: the second connection attached after the first. */
function supersededOnce(): { live: LiveClients<FakeConnection>; bus: LocalBus; older: FakeConnection; newer: FakeConnection } {
  const { live, bus } = registry();
  const older = new FakeConnection('c_1', 'app_a');
  const newer = new FakeConnection('c_1', 'app_a');
  live.attach(older);
  live.attach(newer);
  return { live, bus, older, newer };
}

function message(seq: number): DeliverableMessage {
  return { seq, id: `m${seq}`, createdAt: 0, data: new Uint8Array([seq]) };
}

test('a newer connection of a client supersedes the older, which is closed with ERR_SESSION_REPLACED', async () => {
  const { live, bus, older, newer } = supersededOnce();
  assert.equal(older.closedWith, 'ERR_SESSION_REPLACED');
  assert.equal(newer.closedWith, null);
  assert.equal(live.get('c_1'), newer);
  assert.equal(live.size, 1);
  assert.equal(live.appCount('app_a'), 1, 'the client is counted once');
  assert.equal(await bus.locate('c_1'), NODE);
  assert.ok(live.offer('c_1', [message(1)]));
  assert.equal(older.offered.length, 0, 'offers go to the current connection only');
  assert.equal(newer.offered.length, 1);
});

test('detaching a superseded connection leaves the current one, its count and its presence', async () => {
  const { live, bus, older, newer } = supersededOnce();
  live.detach(older);
  assert.ok(live.isOnline('c_1'));
  assert.equal(live.get('c_1'), newer);
  assert.equal(live.appCount('app_a'), 1);
  assert.equal(await bus.locate('c_1'), NODE);
  live.detach(newer);
  assert.equal(live.isOnline('c_1'), false);
  assert.equal(live.size, 0);
  assert.equal(await bus.locate('c_1'), undefined, 'presence is cleared with the last connection');
});

test('counts per app follow attach and detach, and an app with none is not listed', () => {
  const { live } = registry();
  const a1 = new FakeConnection('c_1', 'app_a');
  const a2 = new FakeConnection('c_2', 'app_a');
  const b1 = new FakeConnection('c_3', 'app_b');
  for (const c of [a1, a2, b1]) live.attach(c);
  assert.deepEqual(live.appCounts(), { app_a: 2, app_b: 1 });
  assert.deepEqual([...live.connections()], [a1, a2, b1]);
  live.detach(b1);
  live.detach(a1);
  assert.deepEqual(live.appCounts(), { app_a: 1 });
  assert.equal(live.appCount('app_b'), 0);
  assert.equal(live.size, 1);
});

test('an offer to a client not connected here is refused and reaches nobody', () => {
  const { live } = registry();
  const connected = new FakeConnection('c_1', 'app_a');
  live.attach(connected);
  assert.equal(live.offer('c_unknown', [message(1)]), false);
  assert.equal(connected.offered.length, 0);
});

test('the router offers here first, hands this node its bus envelopes, and asks the bus where a client is elsewhere', async () => {
  const bus = new LocalBus();
  const { live } = registry(bus);
  const router = new Router(live, bus, NODE, new RecordingLogger());
  const here = new FakeConnection('c_here', 'app_a');
  live.attach(here);
  router.route('c_here', [message(1)]);
  await bus.publish(NODE, { clientId: 'c_here', messages: [message(2)] });
  assert.deepEqual(here.offered.map((m) => m[0]!.seq), [1, 2]);

  const arrived = new Promise<readonly DeliverableMessage[]>((resolve) => bus.subscribe('node-b', (envelope) => resolve(envelope.messages)));
  await bus.setPresence('c_there', 'node-b');
  assert.equal(await router.isOnline('c_there'), true);
  assert.equal(await router.isOnline('c_nowhere'), false);
  router.route('c_there', [message(7)]);
  assert.deepEqual((await arrived).map((m) => m.seq), [7]);
});
