/** The client SDK's event emitter. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../../src/client/emitter.js';

interface Events {
  message: number;
  closed: string;
}

class TestEmitter extends Emitter<Events> {
  readonly added: (keyof Events)[] = [];
  fire<K extends keyof Events>(event: K, value: Events[K]): void {
    this.emit(event, value);
  }
  protected override listenerAdded(event: keyof Events): void {
    this.added.push(event);
  }
}

/** Runs `fn` with queueMicrotask captured (only while `fn` runs); returns what was queued. */
function capturingMicrotasks(t: TestContext, fn: () => void): (() => void)[] {
  const queued: (() => void)[] = [];
  const mock = t.mock.method(globalThis, 'queueMicrotask', (task: () => void) => void queued.push(task));
  try {
    fn();
  } finally {
    mock.mock.restore();
  }
  return queued;
}

test('every listener of an event gets the value, in the order they were added', () => {
  const emitter = new TestEmitter();
  const calls: string[] = [];
  emitter.on('message', (n) => calls.push(`a${n}`));
  emitter.on('message', (n) => calls.push(`b${n}`));
  emitter.on('closed', (s) => calls.push(`closed ${s}`));
  emitter.fire('message', 1);
  assert.deepEqual(calls, ['a1', 'b1']);
  emitter.fire('closed', 'bye');
  assert.deepEqual(calls, ['a1', 'b1', 'closed bye']);
});

test('a listener that throws does not stop the others, and its error is reported, not swallowed', (t) => {
  const emitter = new TestEmitter();
  const calls: string[] = [];
  const boom = new Error('listener bug');
  emitter.on('message', () => calls.push('first'));
  emitter.on('message', () => {
    throw boom;
  });
  emitter.on('message', () => calls.push('third'));

  const reported = capturingMicrotasks(t, () => emitter.fire('message', 1));

  assert.deepEqual(calls, ['first', 'third']);
  assert.equal(reported.length, 1);
  assert.throws(() => reported[0]!(), (err) => err === boom, 'rethrown as an uncaught error');
});

test('off() removes a listener; removing an unknown one does nothing', () => {
  const emitter = new TestEmitter();
  const calls: string[] = [];
  const a = (n: number): void => void calls.push(`a${n}`);
  const b = (n: number): void => void calls.push(`b${n}`);
  emitter.on('message', a).on('message', b);
  emitter.off('message', a);
  emitter.off('closed', () => {});
  emitter.fire('message', 2);
  assert.deepEqual(calls, ['b2']);
  assert.equal(emitter.listenerCount('message'), 1);
  assert.equal(emitter.listenerCount('closed'), 0);
});

test('the same listener added twice is called once', () => {
  const emitter = new TestEmitter();
  let calls = 0;
  const listener = (): void => void calls++;
  emitter.on('message', listener).on('message', listener);
  emitter.fire('message', 1);
  assert.equal(calls, 1);
});

test('a listener added during an emit is first called on the next one', () => {
  const emitter = new TestEmitter();
  const calls: string[] = [];
  emitter.on('message', (n) => {
    calls.push(`outer${n}`);
    if (n === 1) emitter.on('message', (m) => calls.push(`inner${m}`));
  });
  emitter.fire('message', 1);
  emitter.fire('message', 2);
  assert.deepEqual(calls, ['outer1', 'outer2', 'inner2']);
});

test('the listenerAdded hook fires for every on(), with its event', () => {
  const emitter = new TestEmitter();
  emitter.on('message', () => {});
  emitter.on('closed', () => {});
  emitter.on('message', () => {});
  assert.deepEqual(emitter.added, ['message', 'closed', 'message']);
});
