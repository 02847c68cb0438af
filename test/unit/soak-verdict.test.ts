// The soak's memory verdict (chaos/soak/verdict.ts), on synthetic RSS series sampled every 5 s
// for an hour: flat with noise passes, a GC sawtooth passes, a real leak fails, and the fit
// window is the last 45 minutes (or the last 75% of a shorter run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIT_SHARE, FLOOR_MIB, fitLine, fitWindow, judgeMemory, type Point } from '../../chaos/soak/verdict.js';
import { prng } from '../helpers/prng.js';

/** An RSS series from `shape(t)`, MiB, every 5 s for `minutes`, plus uniform noise of +-`noise` MiB. */
function series(minutes: number, shape: (t: number) => number, noise: number, seed = 1): Point[] {
  const random = prng(seed);
  const points: Point[] = [];
  for (let t = 0; t <= minutes * 60; t += 5) points.push({ t, v: shape(t) + (random() * 2 - 1) * noise });
  return points;
}

test('a line through exact points has their slope and intercept, and no residual', () => {
  const fit = fitLine([{ t: 0, v: 10 }, { t: 10, v: 30 }, { t: 20, v: 50 }]);
  assert.equal(fit.slope, 2);
  assert.equal(fit.intercept, 10);
  assert.equal(fit.residualSd, 0);
});

test('an hour fits over its last 45 minutes; a shorter run over its last 75%', () => {
  assert.deepEqual(fitWindow(0, 3600), { from: 900, to: 3600 });
  assert.deepEqual(fitWindow(100, 160), { from: 100 + 60 * (1 - FIT_SHARE), to: 160 });
  assert.deepEqual(fitWindow(0, 7200), { from: 4500, to: 7200 }, 'longer runs keep a 45-minute window');
});

test('flat memory with noise passes, for many seeds', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const verdict = judgeMemory(series(60, () => 150, 6, seed));
    assert.equal(verdict.passed, true, `seed ${seed}: ${verdict.growthMiB} MiB`);
    assert.ok(Math.abs(verdict.slopeMiBPerMinute) < 0.1);
  }
});

test('a leak of 1 MiB a minute fails, even under noise', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const verdict = judgeMemory(series(60, (t) => 150 + t / 60, 6, seed));
    assert.equal(verdict.passed, false, `seed ${seed}`);
    assert.ok(Math.abs(verdict.slopeMiBPerMinute - 1) < 0.1, `slope ${verdict.slopeMiBPerMinute}`);
    assert.ok(Math.abs(verdict.growthMiB - 45) < 5);
  }
});

test('a slow leak (0.3 MiB a minute, 13.5 MiB over the window) fails on a quiet series', () => {
  assert.equal(judgeMemory(series(60, (t) => 150 + (0.3 * t) / 60, 2)).passed, false);
});

test('a GC sawtooth (climbing 30 MiB, then dropping, every 2 to 7 minutes) passes', () => {
  for (const period of [120, 300, 420]) {
    const verdict = judgeMemory(series(60, (t) => 140 + 30 * ((t % period) / period), 2));
    assert.equal(verdict.passed, true, `period ${period} s: growth ${verdict.growthMiB}, allowed ${verdict.allowedMiB}`);
  }
});

test('a leak under a sawtooth fails', () => {
  const verdict = judgeMemory(series(60, (t) => 140 + 20 * ((t % 180) / 180) + t / 60, 2));
  assert.equal(verdict.passed, false, `growth ${verdict.growthMiB}, allowed ${verdict.allowedMiB}`);
});

test('growth early in the run (warm-up before the window) does not count', () => {
  const warmUp = (t: number): number => (t < 600 ? 100 + (50 * t) / 600 : 150);
  const verdict = judgeMemory(series(60, warmUp, 3));
  assert.equal(verdict.passed, true);
  assert.equal(verdict.from, 900);
});

test('small growth under the floor passes; missing samples are skipped, too few fail', () => {
  assert.equal(judgeMemory(series(60, (t) => 150 + ((FLOOR_MIB / 2) * t) / 3600, 0)).passed, true);
  const gaps = series(60, () => 150, 3).map((p, i) => (i % 7 === 0 ? { t: p.t, v: Number.NaN } : p));
  assert.equal(judgeMemory(gaps).passed, true);
  assert.equal(judgeMemory([{ t: 0, v: 1 }, { t: 5, v: 1 }]).passed, false, 'two samples are no fit');
});
