// The clock-steps judge (chaos/clock-steps/judge.ts) holds a record to what the docs promise,
// and says what broke: fed a record that keeps every promise, then ones that break each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeClockSteps, type ClockStepsHistory, type StepRecord } from '../../chaos/clock-steps/judge.js';

const ACCEPTED = { status: 202 };
const EXPIRED = { status: 401, code: 'ERR_AUTH_EXPIRED' };
const REPLAY = { status: 401, code: 'ERR_AUTH_REPLAY' };
const T0 = 1_800_000_000_000;

function step(offsetSeconds: number, changes: Partial<StepRecord> = {}): StepRecord {
  const far = Math.abs(offsetSeconds) > 300;
  return {
    offsetSeconds,
    hmac: { fresh: ACCEPTED, realClock: far ? EXPIRED : ACCEPTED, replays: [] },
    jwt: { fresh: ACCEPTED, realClock: offsetSeconds === 0 ? ACCEPTED : EXPIRED, replays: [] },
    registrations: { tried: 30, accepted: 10, refused: 20, other: [], seconds: 2 },
    readAtMs: T0 + offsetSeconds * 1000,
    short: offsetSeconds >= 3600 ? ['expired'] : ['queued'],
    long: ['queued'],
    ...changes,
  };
}

function history(changes: Partial<ClockStepsHistory> = {}): ClockStepsHistory {
  return {
    steps: [step(0), step(180), step(3600), step(0, { short: ['expired'] })],
    shortExpireAtMs: T0 + 1800_000,
    jwtLifetimeSeconds: 60,
    registrationLimit: { ratePerSecond: 1, burst: 24 },
    shortReceived: [],
    longSent: ['a', 'b'],
    longReceived: ['a', 'b'],
    ...changes,
  };
}

function withStep(i: number, changes: Partial<StepRecord>): ClockStepsHistory {
  const base = history();
  return { ...base, steps: base.steps.map((s, j) => (j === i ? { ...s, ...changes } : s)) };
}

test('a record that keeps every promise passes', () => {
  const replays = [{ ...REPLAY, from: 0, skewSeconds: 30 }, { ...EXPIRED, from: 1, skewSeconds: -3400 }];
  const verdict = judgeClockSteps(withStep(3, { hmac: { fresh: ACCEPTED, realClock: ACCEPTED, replays } }));
  assert.deepEqual(verdict.problems, []);
  assert.equal(verdict.ok, true);
  assert.equal(verdict.replays, 2);
});

test('a replay accepted fails, and is counted; one refused with the wrong code for its age fails too', () => {
  const accepted = judgeClockSteps(withStep(3, { hmac: { fresh: ACCEPTED, realClock: ACCEPTED, replays: [{ ...ACCEPTED, from: 0, skewSeconds: 30 }] } }));
  assert.equal(accepted.replaysAccepted, 1);
  assert.match(accepted.problems.join('\n'), /step 3 \(0 s\): the signed request of step 0 sent again \(30 s old\) answered accept, expected ERR_AUTH_REPLAY/);
  const wrongCode = judgeClockSteps(withStep(3, { jwt: { fresh: ACCEPTED, realClock: ACCEPTED, replays: [{ ...EXPIRED, from: 0, skewSeconds: 30 }] } }));
  assert.match(wrongCode.problems.join('\n'), /the token of step 0 sent again \(30 s old\) answered ERR_AUTH_EXPIRED, expected ERR_AUTH_REPLAY/);
});

test('the signature window and token lifetimes: a request on the real clock an hour off accepted fails, as does a fresh one refused', () => {
  assert.match(judgeClockSteps(withStep(2, { hmac: { fresh: ACCEPTED, realClock: ACCEPTED, replays: [] } })).problems.join('\n'), /signed on the real clock answered accept, expected ERR_AUTH_EXPIRED/);
  assert.match(judgeClockSteps(withStep(1, { jwt: { fresh: EXPIRED, realClock: EXPIRED, replays: [] } })).problems.join('\n'), /token minted on the node clock answered ERR_AUTH_EXPIRED, expected accept/);
  assert.match(judgeClockSteps(withStep(1, { hmac: { fresh: ACCEPTED, realClock: EXPIRED, replays: [] } })).problems.join('\n'), /signed on the real clock answered ERR_AUTH_EXPIRED, expected accept/);
});

test('the registration limit: locked out, or letting through more than its burst and rate, fails', () => {
  assert.match(judgeClockSteps(withStep(3, { registrations: { tried: 30, accepted: 0, refused: 30, other: [], seconds: 2 } })).problems.join('\n'), /no client registered of 30/);
  assert.match(judgeClockSteps(withStep(2, { registrations: { tried: 30, accepted: 30, refused: 0, other: [], seconds: 2 } })).problems.join('\n'), /30 clients registered in 2.0 s, more than the limit allows \(27\)/);
});

test('ttl: a message past its ttl read queued again after a step back, or delivered, fails; a long one lost or twice fails', () => {
  assert.match(judgeClockSteps(withStep(3, { short: ['queued'] })).problems.join('\n'), /step 3 \(0 s\): 1 short-ttl messages read queued, expected expired \(past their ttl since step 2\)/);
  assert.match(judgeClockSteps(history({ shortReceived: ['x'] })).problems.join('\n'), /1 expired messages were delivered after all/);
  assert.match(judgeClockSteps(history({ longReceived: ['a', 'a'] })).problems.join('\n'), /1 long-ttl messages never delivered\n1 long-ttl messages delivered more than once/);
  assert.match(judgeClockSteps(history({ steps: [step(0), step(180)] })).problems.join('\n'), /the expiry was not tested/);
});
