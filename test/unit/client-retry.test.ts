/**
 * The client's reconnection schedule: the backoff's delay, or at once on a wake signal
 * (`online`, `visibilitychange` to visible), which also restarts the backoff; close() stops both.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { RetrySchedule } from '../../src/client/retry.js';
import type { WakeSignals } from '../../src/client/wake.js';

/** An EventTarget that counts its listeners, as a window or a document would hold them. */
class CountingTarget extends EventTarget {
  listeners = 0;
  visibilityState = 'hidden';
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    this.listeners++;
    super.addEventListener(...args);
  }
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
    this.listeners--;
    super.removeEventListener(...args);
  }
}

function schedule(t: TestContext): { retry: RetrySchedule; attempts: () => number; window: CountingTarget; document: CountingTarget } {
  t.mock.method(Math, 'random', () => 1); // the ceiling itself: delays are exact
  const window = new CountingTarget();
  const document = new CountingTarget();
  let attempts = 0;
  const signals: WakeSignals = { online: window, visibility: document };
  const retry = new RetrySchedule({ minDelayMs: 60_000, maxDelayMs: 600_000 }, signals, () => attempts++);
  t.after(() => retry.stop());
  return { retry, attempts: () => attempts, window, document };
}

test('online: a waiting attempt goes at once, and the backoff starts over', (t) => {
  const { retry, attempts, window } = schedule(t);
  assert.deepEqual([retry.later(), retry.later()], [60_000, 120_000]);
  window.dispatchEvent(new Event('online'));
  assert.equal(attempts(), 1, 'attempted without waiting 2 minutes');
  assert.equal(retry.later(), 60_000, 'the next delay is minDelayMs again');
});

test('online with no attempt waiting (connected or connecting) does nothing', (t) => {
  const { attempts, window } = schedule(t);
  window.dispatchEvent(new Event('online'));
  assert.equal(attempts(), 0);
});

test('visibilitychange retries at once only when the page became visible', (t) => {
  const { retry, attempts, document } = schedule(t);
  retry.later();
  document.dispatchEvent(new Event('visibilitychange'));
  assert.equal(attempts(), 0, 'hidden: keep waiting');
  document.visibilityState = 'visible';
  document.dispatchEvent(new Event('visibilitychange'));
  assert.equal(attempts(), 1);
  document.dispatchEvent(new Event('visibilitychange'));
  assert.equal(attempts(), 1, 'one attempt per wait');
});

test('stop() cancels the waiting attempt and removes every listener', (t) => {
  const { retry, attempts, window, document } = schedule(t);
  assert.deepEqual([window.listeners, document.listeners], [1, 1]);
  retry.later();
  retry.stop();
  assert.deepEqual([window.listeners, document.listeners], [0, 0]);
  window.dispatchEvent(new Event('online'));
  assert.equal(attempts(), 0);
});
