/** The client's reconnect backoff: exponential ceiling, full jitter, bounds, reset. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../src/client/backoff.js';

/** Makes Math.random return `value` for the rest of the test. */
function randomIs(t: TestContext, value: number): void {
  t.mock.method(Math, 'random', () => value);
}

const draws = (backoff: Backoff, n: number): number[] => Array.from({ length: n }, () => backoff.next());

test('the ceiling doubles from minDelayMs up to maxDelayMs', (t) => {
  randomIs(t, 1); // the top of the jitter range: the ceiling itself
  assert.deepEqual(draws(new Backoff({ minDelayMs: 100, maxDelayMs: 1000 }), 7), [100, 200, 400, 800, 1000, 1000, 1000]);
});

test('the jitter never goes below half of minDelayMs', (t) => {
  randomIs(t, 0);
  assert.deepEqual(draws(new Backoff({ minDelayMs: 100, maxDelayMs: 1000 }), 5), [50, 50, 50, 50, 50]);
});

test('with real randomness every delay stays within [minDelayMs / 2, maxDelayMs], even after many attempts', () => {
  const backoff = new Backoff({ minDelayMs: 100, maxDelayMs: 5000 });
  for (const delay of draws(backoff, 500)) {
    assert.ok(delay >= 50 && delay <= 5000, `${delay}`);
  }
  const defaults = new Backoff();
  const delays = draws(defaults, 200);
  assert.ok(delays.every((d) => d >= 125 && d <= 10_000));
  assert.ok(Number.isFinite(delays.at(-1)!));
});

test('the defaults are 250 ms growing to a cap of 10 s, reached at the 7th attempt and never passed', (t) => {
  randomIs(t, 1);
  const delays = draws(new Backoff(), 40);
  assert.deepEqual(delays.slice(0, 8), [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  assert.ok(delays.every((d) => d <= 10_000), 'after a long outage a client still tries at least every 10 s');
});

test('reset() starts again from minDelayMs', (t) => {
  randomIs(t, 1);
  const backoff = new Backoff({ minDelayMs: 100, maxDelayMs: 1000 });
  draws(backoff, 5);
  backoff.reset();
  assert.deepEqual(draws(backoff, 2), [100, 200]);
});
