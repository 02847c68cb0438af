import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETRY, RetrySchedule, isTransient, retryAfterSeconds, retryPolicy } from '../../src/app/retry.js';

test('a schedule gives attempts - 1 delays, each within its doubling ceiling', () => {
  const policy = { attempts: 5, minDelayMs: 100, maxDelayMs: 500 };
  const schedule = new RetrySchedule(policy);
  const delays = [schedule.next(undefined), schedule.next(undefined), schedule.next(undefined), schedule.next(undefined)];
  const ceilings = [100, 200, 400, 500];
  delays.forEach((delay, i) => assert.ok(delay !== undefined && delay >= 50 && delay <= ceilings[i]!, `delay ${i}: ${delay}`));
  assert.equal(schedule.next(undefined), undefined, 'the attempts are spent');
});

test("the server's Retry-After is waited at least, and ends the retries when longer than maxDelayMs", () => {
  const delay = new RetrySchedule({ attempts: 3, minDelayMs: 10, maxDelayMs: 5000 }).next(2);
  assert.ok(delay !== undefined && delay >= 2000 && delay <= 5000, String(delay));
  assert.equal(new RetrySchedule({ attempts: 3, minDelayMs: 10, maxDelayMs: 1000 }).next(2), undefined);
});

test('Retry-After reads as seconds or an HTTP date; anything else is ignored', () => {
  const now = Date.parse('2026-12-04T18:00:00Z');
  assert.equal(retryAfterSeconds('3', now), 3);
  assert.equal(retryAfterSeconds('Fri, 04 Dec 2026 18:00:05 GMT', now), 5);
  assert.equal(retryAfterSeconds('Fri, 04 Dec 2026 17:00:00 GMT', now), 0);
  assert.equal(retryAfterSeconds('soon', now), undefined);
  assert.equal(retryAfterSeconds(null, now), undefined);
});

test('what is transient, and the retry option', () => {
  assert.deepEqual([429, 502, 503, 504, undefined].map(isTransient), [true, true, true, true, true]);
  assert.deepEqual([400, 401, 404, 409, 413, 500].map(isTransient), [false, false, false, false, false, false]);
  assert.equal(retryPolicy(false), null);
  assert.deepEqual(retryPolicy(undefined), DEFAULT_RETRY);
  assert.deepEqual(retryPolicy({ attempts: 1 }), { ...DEFAULT_RETRY, attempts: 1 });
});
