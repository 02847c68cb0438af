// The engines-redis scenario's check of its faults (chaos/engines-redis/verdict.ts): records
// that show only what docs/deploy.md documents pass; each other answer, a replay let through
// at all, a paused node reporting ready and a cluster that did not recover are each caught
// and named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFaults, type FaultRecord } from '../../chaos/engines-redis/verdict.js';

const UNAVAILABLE = 'ERR_UNAVAILABLE:retry-after=1';

function records(): FaultRecord[] {
  return [
    { fault: 'redis-restart', durationMs: 3000, during: { publish: { [UNAVAILABLE]: 6 }, readyz: { '503': 6 }, hello: { ok: 6 } }, replays: [UNAVAILABLE, UNAVAILABLE], recoveredMs: 3800 },
    { fault: 'redis-flushall', durationMs: 20, during: { publish: { '202': 3 }, readyz: { '200': 3 }, hello: { ok: 3 } }, replays: ['ERR_AUTH_REPLAY', 'ERR_AUTH_REPLAY'], recoveredMs: 3400 },
    { fault: 'node-paused', durationMs: 35_000, during: { publish: { '202': 80 }, readyz: { '200': 80 }, hello: { ok: 80 } }, pausedReadyz: { 'no answer': 30 }, replays: ['ERR_AUTH_REPLAY', 'ERR_AUTH_REPLAY'], recoveredMs: 1600 },
  ];
}

function change(i: number, patch: Partial<FaultRecord>): FaultRecord[] {
  const all = records();
  all[i] = { ...all[i]!, ...patch };
  return all;
}

test('records of documented answers pass', () => {
  assert.deepEqual(checkFaults(records()), { problems: [], replaysAccepted: 0 });
});

test('a publish accepted while Redis is down, or refused with another code, is named', () => {
  const { problems } = checkFaults(change(0, { during: { publish: { [UNAVAILABLE]: 4, '202': 1, ERR_INTERNAL: 2 }, readyz: { '503': 6 }, hello: { ok: 6 } } }));
  assert.deepEqual(problems, ['redis-restart: publish answered 202 x1, ERR_INTERNAL x2 (documented: ERR_UNAVAILABLE:retry-after=1)']);
});

test('a 503 without Retry-After, or /readyz still 200 during the outage, is named', () => {
  const { problems } = checkFaults(change(0, { during: { publish: { ERR_UNAVAILABLE: 1 }, readyz: { '200': 1, '503': 5 }, hello: { ok: 6 } } }));
  assert.equal(problems.length, 2, problems.join('\n'));
});

test('the running nodes stalling while one node is paused is named', () => {
  const { problems } = checkFaults(change(2, { during: { publish: { '202': 1, 'no answer': 5 }, readyz: { '200': 7, '503': 1 }, hello: { ERR_UNAVAILABLE: 8 } } }));
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0]!, /^node-paused: publish answered no answer x5/);
});

test('a kind of probe never made is named, so an empty record cannot pass', () => {
  const { problems } = checkFaults(change(1, { during: { publish: { '202': 3 } } }));
  assert.deepEqual(problems, ['redis-flushall: no readyz probe was made', 'redis-flushall: no hello probe was made']);
});

test('a replay let through once, after Redis lost its nonces or not, is named and counted', () => {
  const afterLoss = checkFaults(change(0, { replays: ['202', UNAVAILABLE] }));
  assert.deepEqual(afterLoss, { problems: ['redis-restart: a request replayed after the fault was answered 202, then ERR_UNAVAILABLE:retry-after=1'], replaysAccepted: 1 });
  assert.deepEqual(checkFaults(change(2, { replays: ['ERR_AUTH_REPLAY', '202'] })).problems, ['node-paused: a request replayed after the fault was answered ERR_AUTH_REPLAY, then 202']);
  assert.deepEqual(checkFaults(change(2, { replays: [UNAVAILABLE, UNAVAILABLE] })).problems, ['node-paused: a request replayed after the fault was answered ERR_UNAVAILABLE:retry-after=1, then ERR_UNAVAILABLE:retry-after=1'], 'Redis kept its nonces: a replay is called one');
});

test('a paused node that reports ready, and a cluster that did not recover, are named', () => {
  assert.deepEqual(checkFaults(change(2, { pausedReadyz: { '200': 1, 'no answer': 29 } })).problems, ['node-paused: the paused node\'s /readyz answered 200']);
  assert.deepEqual(checkFaults(change(0, { recoveredMs: null })).problems, ['redis-restart: the cluster did not recover']);
});
