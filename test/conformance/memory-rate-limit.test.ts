import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRateLimit } from '../../src/drivers/limits/memory.js';
import { runRateLimitConformance } from './rate-limit.suite.js';

runRateLimitConformance('memory', async () => {
  let now = 1_700_000_000_000;
  const clock = { now: () => now };
  return {
    make: (spec) => {
      const limit = new MemoryRateLimit(spec, clock);
      return { limit, peer: limit };
    },
    advance: (ms) => {
      now += ms;
    },
    cleanup: async () => {},
  };
});

test('memory: a token bucket, refilled at the rate, never holding more than the burst', async () => {
  let now = 1_000_000;
  const limit = new MemoryRateLimit({ ratePerSecond: 10, burst: 5 }, { now: () => now });
  for (let i = 0; i < 5; i++) assert.equal(await limit.take('a'), 0);
  assert.equal(await limit.take('a'), 100, 'one token comes back every 100 ms');
  now += 100;
  assert.equal(await limit.take('a'), 0);
  now += 10_000;
  assert.equal(await limit.take('a', 5), 0, 'a bucket never holds more than its burst');
  assert.equal(await limit.take('a', 500), 500, 'a cost above the burst: the wait for a full bucket');
});

test('memory: a clock stepped back does not hold an empty bucket until it catches up; one stepped forward refills no more than the burst', async () => {
  let now = 1_000_000;
  const limit = new MemoryRateLimit({ ratePerSecond: 10, burst: 5 }, { now: () => now });
  for (let i = 0; i < 5; i++) assert.equal(await limit.take('a'), 0);
  now -= 3_600_000; // an NTP step back by an hour
  assert.equal(await limit.take('a'), 100, 'still empty, refusing with the wait for one token, not for an hour');
  now += 100;
  assert.equal(await limit.take('a'), 0, 'refilled from the step on');
  now += 86_400_000; // and forward by a day
  for (let i = 0; i < 5; i++) assert.equal(await limit.take('a'), 0);
  assert.equal(await limit.take('a'), 100, 'a day forward refills one burst, no more');
});
