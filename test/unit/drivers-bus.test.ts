import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusEnvelope } from '../../src/domain/ports/bus.js';
import type { Logger } from '../../src/domain/ports/runtime.js';
import { LocalBus } from '../../src/drivers/bus/local.js';

const envelope: BusEnvelope = { clientId: 'c1', messages: [] };

function recordingLogger() {
  const errors: object[] = [];
  const logger: Logger = {
    debug: () => {}, info: () => {}, warn: () => {},
    error: (obj) => { errors.push(obj); },
    child: () => logger,
  };
  return { logger, errors };
}

test('publish calls the handler synchronously, before its promise resolves', async () => {
  const bus = new LocalBus();
  let called = 0;
  bus.subscribe('n', () => { called += 1; });
  const pending = bus.publish('n', envelope);
  assert.equal(called, 1);
  await pending;
  await bus.close();
});

test('a node has one handler; a stale unsubscribe does not remove its successor', async () => {
  const bus = new LocalBus();
  const first = bus.subscribe('n', () => {});
  assert.throws(() => bus.subscribe('n', () => {}), /already has a handler/);
  first();
  let called = 0;
  bus.subscribe('n', () => { called += 1; });
  first();
  await bus.publish('n', envelope);
  assert.equal(called, 1);
  await bus.close();
});

test('a throwing handler is logged and does not fail the publisher', async () => {
  const { logger, errors } = recordingLogger();
  const bus = new LocalBus({ logger });
  bus.subscribe('n', () => { throw new Error('handler bug'); });
  await bus.publish('n', envelope);
  assert.equal(errors.length, 1);
  await bus.close();
});

test('close drops handlers and presence', async () => {
  const bus = new LocalBus();
  let called = 0;
  bus.subscribe('n', () => { called += 1; });
  await bus.setPresence('c1', 'n');
  await bus.close();
  await bus.publish('n', envelope);
  assert.equal(called, 0);
  assert.equal(await bus.locate('c1'), undefined);
});
