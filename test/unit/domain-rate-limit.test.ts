import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from '../../src/domain/rate-limit.js';

function movableClock(start = 1_000_000): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

test('a bucket lets its burst through, then refuses with the wait until enough tokens are back', () => {
  const clock = movableClock();
  const limiter = new RateLimiter(10, 5, clock);
  for (let i = 0; i < 5; i++) assert.equal(limiter.take('a'), 0, `call ${i}`);
  assert.equal(limiter.take('a'), 100, 'one token comes back every 100 ms');
  assert.equal(limiter.take('b'), 0, 'another key has its own bucket');
  clock.advance(99);
  assert.ok(limiter.take('a') > 0);
  clock.advance(1);
  assert.equal(limiter.take('a'), 0);
  assert.ok(limiter.take('a') > 0, 'and it is spent again');
});

test('a cost is taken whole or not at all; a refused cost spends nothing', () => {
  const clock = movableClock();
  const limiter = new RateLimiter(100, 100, clock);
  assert.equal(limiter.take('app', 60), 0);
  assert.equal(limiter.take('app', 60), 200, '20 more tokens are needed: 200 ms');
  assert.equal(limiter.take('app', 40), 0, 'the refused 60 spent nothing');
  clock.advance(10_000);
  assert.equal(limiter.take('app', 100), 0, 'a bucket never holds more than its burst');
  assert.ok(limiter.take('app', 1) > 0);
  assert.ok(limiter.take('app', 500) > 0, 'a cost above the burst is refused, with the wait for a full bucket');
});

test('nonsense limits are refused when built', () => {
  const clock = movableClock();
  assert.throws(() => new RateLimiter(0, 10, clock), RangeError);
  assert.throws(() => new RateLimiter(10, 0, clock), RangeError);
});
