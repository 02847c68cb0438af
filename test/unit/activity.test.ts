import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIVITY_WINDOW_SECONDS, NodeActivity, RECENT_AUTH_FAILURES, withActivity } from '../../src/domain/usecases/activity.js';
import { NO_METRICS, type Metrics } from '../../src/domain/ports/metrics.js';

const T0 = 1_700_000_000_000;

function clockAt(ms: number): { now(): number; set(ms: number): void } {
  let now = ms;
  return { now: () => now, set: (to) => (now = to) };
}

test('counts per second, oldest first, the current second last', () => {
  const clock = clockAt(T0 + 250);
  const activity = new NodeActivity(clock);
  activity.published(3);
  activity.delivered(1);
  clock.set(T0 + 1_900);
  activity.published(2);
  clock.set(T0 + 3_000);
  activity.delivered(5);
  const series = activity.throughput(4);
  assert.deepEqual(series.published, [3, 2, 0, 0]);
  assert.deepEqual(series.delivered, [1, 0, 0, 5]);
  assert.equal(series.endsAt, new Date(T0 + 3_000).toISOString());
});

test('seconds that passed without traffic read as zero, also after the ring wrapped', () => {
  const clock = clockAt(T0);
  const activity = new NodeActivity(clock);
  activity.published(9);
  clock.set(T0 + ACTIVITY_WINDOW_SECONDS * 1000); // exactly one window later: the same ring slot
  activity.published(1);
  const series = activity.throughput(ACTIVITY_WINDOW_SECONDS);
  assert.equal(series.published.reduce((a, b) => a + b, 0), 1, 'the count from a window ago is gone');
  assert.equal(series.published.at(-1), 1);
  clock.set(T0 + 10 * ACTIVITY_WINDOW_SECONDS * 1000);
  assert.equal(activity.throughput(ACTIVITY_WINDOW_SECONDS).published.reduce((a, b) => a + b, 0), 0);
});

test('a clock that steps back counts into the newest second; lengths are clamped to the window', () => {
  const clock = clockAt(T0 + 10_000);
  const activity = new NodeActivity(clock);
  clock.set(T0);
  activity.delivered(4);
  assert.deepEqual(activity.throughput(2).delivered, [0, 4]);
  assert.equal(activity.throughput(0).delivered.length, 1);
  assert.equal(activity.throughput(10_000).delivered.length, ACTIVITY_WINDOW_SECONDS);
});

test('keeps the last auth failures, newest first, with long claims cut short', () => {
  const clock = clockAt(T0);
  const activity = new NodeActivity(clock);
  for (let i = 0; i < RECENT_AUTH_FAILURES + 5; i++) {
    clock.set(T0 + i);
    activity.authFailure({ code: 'ERR_AUTH_SIGNATURE', scheme: 'hmac', appId: `app_${i}`, remote: '127.0.0.1' });
  }
  activity.authFailure({ code: 'ERR_AUTH_MISSING', scheme: 'none', issuer: 'x'.repeat(1000), remote: '::1' });
  const all = activity.recentAuthFailures(1000);
  assert.equal(all.length, RECENT_AUTH_FAILURES);
  assert.deepEqual([all[0]!.code, all[0]!.appId, all[0]!.issuer?.length], ['ERR_AUTH_MISSING', null, 128]);
  assert.equal(all[1]!.appId, `app_${RECENT_AUTH_FAILURES + 4}`);
  assert.equal(all.at(-1)!.appId, 'app_6', 'the oldest were dropped');
  assert.deepEqual(activity.recentAuthFailures(2).map((f) => f.code), ['ERR_AUTH_MISSING', 'ERR_AUTH_SIGNATURE']);
});

test('withActivity passes every call on and also counts published and delivered', () => {
  const calls: string[] = [];
  const spy = Object.fromEntries(Object.keys(NO_METRICS).map((name) => [name, (arg: unknown) => calls.push(`${name}:${String(arg)}`)])) as unknown as Metrics;
  const activity = new NodeActivity(clockAt(T0));
  const metrics = withActivity(spy, activity);
  metrics.published(2);
  metrics.delivered(3);
  metrics.acked(1);
  metrics.handshake('ok');
  metrics.authFailure('ERR_AUTH_REPLAY');
  assert.deepEqual(calls, ['published:2', 'delivered:3', 'acked:1', 'handshake:ok', 'authFailure:ERR_AUTH_REPLAY']);
  assert.deepEqual([activity.throughput(1).published, activity.throughput(1).delivered], [[2], [3]]);
});
