// The engines scenarios' judge of the answers around each database fault
// (chaos/engines/verdict.ts): a clean timeline passes with its figures, and each broken promise
// is caught and named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Answer } from '../../chaos/crash-loop/load.js';
import type { ProbeAnswer } from '../../chaos/engines/probe.js';
import { judgeFaults, type FaultTimeline } from '../../chaos/engines/verdict.js';

const publish = (sentAt: number, answeredAt: number, outcome = 'ok', retryAfterSeconds?: number): Answer =>
  ({ kind: 'publish', sentAt, answeredAt, outcome, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
const probe = (path: ProbeAnswer['path'], sentAt: number, status: ProbeAnswer['status']): ProbeAnswer => ({ path, sentAt, answeredAt: sentAt + 5, status });

/** One fault from 1000 to 9000: publishes refused during it, accepted 300 ms after the heal; /readyz 503 at 3000. */
function timeline(changes: Partial<FaultTimeline> = {}): FaultTimeline {
  return {
    windows: [{ kind: 'SIGSTOP', brokeAt: 1000, healedAt: 9000 }],
    answers: [publish(500, 600), publish(1200, 3200, 'ERR_UNAVAILABLE', 1), publish(3300, 3400, 'ERR_UNAVAILABLE', 1), publish(9100, 9300),
      { kind: 'read', sentAt: 2000, answeredAt: 2100, outcome: 'ERR_UNAVAILABLE', retryAfterSeconds: 1 }],
    probes: [probe('/healthz', 2000, 200), probe('/readyz', 800, 200), probe('/readyz', 2995, 503), probe('/readyz', 9500, 200)],
    endedAt: 12_000,
    nodeExited: false,
    slowestAllowedMs: 5000,
    readyzWithinMs: 3000,
    ...changes,
  };
}

test('a node that refused during the fault and recovered after it passes, with its figures', () => {
  const verdict = judgeFaults(timeline());
  assert.deepEqual(verdict.problems, []);
  assert.deepEqual(verdict.faults, [{ kind: 'SIGSTOP', heldMs: 8000, refused: 2, acceptedDuring: 0, slowestMs: 2000, firstAcceptMs: 300, readyz503Ms: 2000, readyz200Ms: 505 }]);
  assert.deepEqual(verdict.outcomes, { 'publish ok': 2, 'publish ERR_UNAVAILABLE': 2, 'read ERR_UNAVAILABLE': 1 });
});

test('a 500, another code or no answer at all is a problem, wherever it falls', () => {
  for (const outcome of ['ERR_INTERNAL', 'ERR_RATE_LIMITED', 'no answer']) {
    const verdict = judgeFaults(timeline({ answers: [...timeline().answers, publish(10_000, 10_100, outcome)] }));
    assert.deepEqual(verdict.problems, [`a publish sent at 10000 got ${outcome}`]);
    assert.equal(verdict.ok, false);
  }
});

test('a publish, read or probe sent during a fault and answered later than slowestAllowedMs hung: a problem, whatever the answer', () => {
  const answers = [...timeline().answers, publish(1500, 8000, 'ERR_UNAVAILABLE', 1), { kind: 'read' as const, sentAt: 2000, answeredAt: 9100, outcome: 'ok' }, publish(9500, 16_000)];
  const probes = [...timeline().probes, { path: '/healthz' as const, sentAt: 1000, answeredAt: 7000, status: 200 }];
  const verdict = judgeFaults(timeline({ answers, probes }));
  assert.deepEqual(verdict.problems, ['a publish sent at 1500 took 6500 ms', 'a read sent at 2000 took 7100 ms', '/healthz sent at 1000 took 6000 ms'],
    'the slow publish sent after the heal (9500) is load, not a hang');
  assert.equal(verdict.faults[0]!.slowestMs, 7100);
});

test('a 503 without Retry-After: 1 is a problem', () => {
  const verdict = judgeFaults(timeline({ answers: [...timeline().answers, publish(1500, 1600, 'ERR_UNAVAILABLE')] }));
  assert.deepEqual(verdict.problems, ['a publish sent at 1500 got ERR_UNAVAILABLE with Retry-After missing']);
});

test('no publish accepted after the heal (before the run ended) is a missing recovery', () => {
  const answers = timeline().answers.filter((a) => a.sentAt !== 9100);
  const verdict = judgeFaults(timeline({ answers }));
  assert.equal(verdict.faults[0]!.firstAcceptMs, null);
  assert.deepEqual(verdict.problems, ['SIGSTOP at 1000: no publish accepted after the heal']);
});

test('a recovery counts only before the next fault breaks things again', () => {
  const windows = [...timeline().windows, { kind: 'proxy RST', brokeAt: 9200, healedAt: 9250 }];
  const verdict = judgeFaults(timeline({ windows }));
  assert.equal(verdict.faults[0]!.firstAcceptMs, null);
  assert.equal(verdict.faults[1]!.firstAcceptMs, 50);
});

test('/readyz still 200 past readyzWithinMs into a longer fault, or never 200 again, is a problem', () => {
  const late = judgeFaults(timeline({ probes: [probe('/readyz', 4500, 503), probe('/readyz', 9500, 200)] }));
  assert.deepEqual(late.problems, ['SIGSTOP at 1000: /readyz not 503 within 3000 ms (first 503 after 3505)']);
  const stuck = judgeFaults(timeline({ probes: [probe('/readyz', 2000, 503), probe('/readyz', 9500, 503)] }));
  assert.deepEqual(stuck.problems, ['SIGSTOP at 1000: /readyz not 200 again after the heal']);
});

test('a fault shorter than readyzWithinMs does not need a /readyz 503', () => {
  const verdict = judgeFaults(timeline({ windows: [{ kind: 'restart (kill -9)', brokeAt: 1000, healedAt: 3500 }], probes: [probe('/readyz', 9500, 200)] }));
  assert.deepEqual(verdict.problems, []);
});

test('/healthz other than 200, /readyz other than 200 or 503, and the node exiting are problems', () => {
  const verdict = judgeFaults(timeline({ probes: [...timeline().probes, probe('/healthz', 4000, 'no answer'), probe('/readyz', 5000, 500)], nodeExited: true }));
  assert.deepEqual(verdict.problems, ['/healthz sent at 4000 answered no answer', '/readyz sent at 5000 answered 500', 'the node process exited']);
});
