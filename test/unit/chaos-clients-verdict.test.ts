// The clients scenario's judge (chaos/clients/verdict.ts): a record that kept every promise
// passes, and a record that breaks any one rule fails with that rule named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHistory } from '../../chaos/crash-loop/history.js';
import { checkClients, checkStall, checkStorm, FREED_AFTER_CLOSE_MS, STALL_HEADROOM_KIB, STORM_RSS_FACTOR, TIMER_SLACK_MS, type StallRecord, type StormRecord } from '../../chaos/clients/verdict.js';

const LIMITS = { heartbeatMs: 1000, idleTimeoutMs: 10_000, slowConsumerTimeoutMs: 1000, sendHighWaterBytes: 65_536, maxFrameBytes: 1_048_576 };
const CLEAN = checkHistory({ accepted: new Map([['a', ['a1', 'a2']]]), received: new Map([['a', ['a1', 'a2']]]), statuses: new Map(), ackedWebhooks: new Set(), acked: new Set() });

function stall(changes: Partial<StallRecord> = {}): StallRecord {
  return {
    limits: LIMITS,
    slow: [{ clientId: 's1', code: 'ERR_SLOW_CONSUMER', afterMs: 4000 }],
    vanished: [{ clientId: 'v1', code: 'ERR_IDLE_TIMEOUT', afterMs: 10_500 }],
    freedAfterMs: 11_500,
    rss: { controlPeakKiB: 140_000, beforeKiB: 100_000, peakKiB: 150_000 },
    healthy: { expected: 300, received: 300, maxLatencyMs: 400 },
    history: CLEAN,
    ...changes,
  };
}

function storm(changes: Partial<StormRecord> = {}): StormRecord {
  return {
    clients: 1000, resumed: 1000, notResumed: 0, stormMs: 9000, boundMs: 60_000,
    rss: { steadyKiB: 150_000, peakKiB: 160_000 }, refusals: { ok: 1000, ERR_RATE_LIMITED: 30, ERR_TOO_MANY_CONNECTIONS: 2 }, history: CLEAN,
    ...changes,
  };
}

function failsWith(problems: readonly string[], pattern: RegExp): void {
  assert.equal(problems.length, 1, problems.join('; '));
  assert.match(problems[0]!, pattern);
}

test('a record that kept every promise passes', () => {
  assert.deepEqual(checkClients(stall(), storm()), { problems: [], ok: true });
});

test('a stopped client closed by either of its rules passes; with another code, late, or never, it fails', () => {
  assert.deepEqual(checkStall(stall({ slow: [{ clientId: 's1', code: 'ERR_IDLE_TIMEOUT', afterMs: 10_500 }] })), []);
  failsWith(checkStall(stall({ slow: [{ clientId: 's1', code: 'ERR_HANDSHAKE_TIMEOUT', afterMs: 4000 }] })), /s1 was closed with ERR_HANDSHAKE_TIMEOUT, not ERR_SLOW_CONSUMER or ERR_IDLE_TIMEOUT/);
  const late = LIMITS.idleTimeoutMs + LIMITS.heartbeatMs + TIMER_SLACK_MS + 1;
  failsWith(checkStall(stall({ slow: [{ clientId: 's1', code: 'ERR_SLOW_CONSUMER', afterMs: late }] })), /s1 was closed after/);
  failsWith(checkStall(stall({ slow: [{ clientId: 's1', code: null, afterMs: null }] })), /s1 was never closed/);
});

test('a vanished client must go with ERR_IDLE_TIMEOUT within idleTimeoutMs + heartbeatMs', () => {
  failsWith(checkStall(stall({ vanished: [{ clientId: 'v1', code: 'ERR_SLOW_CONSUMER', afterMs: 3000 }] })), /v1 was closed with ERR_SLOW_CONSUMER, not ERR_IDLE_TIMEOUT/);
  failsWith(checkStall(stall({ vanished: [{ clientId: 'v1', code: 'ERR_IDLE_TIMEOUT', afterMs: 60_000 }] })), /v1 was closed after 60000 ms/);
});

test('connections held long after their close (the 30 s close handshake), or never freed, fail', () => {
  assert.deepEqual(checkStall(stall({ freedAfterMs: 10_500 + FREED_AFTER_CLOSE_MS })), []);
  failsWith(checkStall(stall({ freedAfterMs: 40_500 })), /not freed within 15000 ms of their close \(30000 ms\)/);
  failsWith(checkStall(stall({ freedAfterMs: null })), /not freed within .* \(never\)/);
});

test("the node's RSS may exceed the control's peak (the same flood, read) by the stalled connections' buffers and the headroom, no more", () => {
  const buffers = Math.ceil((2 * (LIMITS.sendHighWaterBytes + LIMITS.maxFrameBytes)) / 1024);
  const rss = (peakKiB: number) => ({ rss: { controlPeakKiB: 180_000, beforeKiB: 100_000, peakKiB } });
  assert.deepEqual(checkStall(stall(rss(180_000 + buffers + STALL_HEADROOM_KIB))), []);
  failsWith(checkStall(stall(rss(180_001 + buffers + STALL_HEADROOM_KIB))), /RSS reached/);
  // A control that peaked below the RSS before the stall: the bound counts from the higher.
  const lowControl = { rss: { controlPeakKiB: 90_000, beforeKiB: 100_000, peakKiB: 100_001 + buffers + STALL_HEADROOM_KIB } };
  failsWith(checkStall(stall(lowControl)), /RSS reached/);
});

test('healthy clients that missed messages, or waited as long as the stalled ones were held, fail', () => {
  failsWith(checkStall(stall({ healthy: { expected: 300, received: 299, maxLatencyMs: 400 } })), /299 of 300/);
  failsWith(checkStall(stall({ healthy: { expected: 300, received: 300, maxLatencyMs: 4000 } })), /waited 4000 ms/);
});

test('a message lost, duplicated or reordered in either part fails', () => {
  const lost = checkHistory({ accepted: new Map([['a', ['a1', 'a2']]]), received: new Map([['a', ['a1']]]), statuses: new Map(), ackedWebhooks: new Set(), acked: new Set() });
  const twice = checkHistory({ accepted: new Map([['a', ['a1']]]), received: new Map([['a', ['a1', 'a1']]]), statuses: new Map(), ackedWebhooks: new Set(), acked: new Set() });
  failsWith(checkStall(stall({ history: lost })), /stall: 1 lost \(a2\)/);
  failsWith(checkStorm(storm({ history: twice })), /storm: 1 duplicated \(a1\)/);
});

test('a storm where clients never came back, came back as new clients, or took past the bound fails', () => {
  const [missing, never] = checkStorm(storm({ resumed: 990, stormMs: null }));
  assert.match(missing!, /10 of 1000 clients never came back/);
  assert.match(never!, /took forever/);
  failsWith(checkStorm(storm({ notResumed: 3 })), /3 clients came back as new clients/);
  failsWith(checkStorm(storm({ stormMs: 60_001 })), /took 60001 ms \(bound 60000\)/);
});

test("the storm's peak RSS is bounded by a multiple of the steady one", () => {
  assert.deepEqual(checkStorm(storm({ rss: { steadyKiB: 150_000, peakKiB: 150_000 * STORM_RSS_FACTOR } })), []);
  failsWith(checkStorm(storm({ rss: { steadyKiB: 150_000, peakKiB: 150_000 * STORM_RSS_FACTOR + 1 } })), /RSS peaked/);
});

test('a handshake refused with a code outside the catalogue, or a permanent one, fails', () => {
  failsWith(checkStorm(storm({ refusals: { ok: 1000, ERR_OVERLOADED: 4 } })), /ERR_OVERLOADED, which is not in the catalogue/);
  failsWith(checkStorm(storm({ refusals: { ok: 1000, ERR_HANDSHAKE: 4 } })), /ERR_HANDSHAKE, a permanent code/);
});
