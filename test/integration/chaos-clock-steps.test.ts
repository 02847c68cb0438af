// The short form of `npm run chaos -- clock-steps` (docs/reliability.md): a node's wall clock
// stepped forward and back under load on SQLite; nothing lost, duplicated or reordered, no
// replay accepted, the signature window, token lifetimes, ttl expiry and the registration limit
// as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runClockSteps } from '../../chaos/clock-steps/scenario.js';
import { QUICK_CLOCK_STEPS } from '../../chaos/clock-steps/plan.js';

test('clock steps on SQLite: the node keeps its promises through steps forward and back', { timeout: 240_000 }, async () => {
  const result = await runClockSteps({ store: 'sqlite', ...QUICK_CLOCK_STEPS });
  const summary = JSON.stringify({ ...result, steps: undefined }, (_k, v: unknown) => (Array.isArray(v) ? v.slice(0, 5) : v));
  assert.ok(result.accepted > 0, 'the load got messages accepted');
  assert.deepEqual([result.lost, result.duplicated, result.unexpected, result.reordered, result.backwards], [[], [], [], [], []], summary);
  assert.deepEqual(result.judged.problems, []);
  assert.ok(result.judged.replays > 0, 'requests were replayed');
  assert.deepEqual(result.refusals, [], 'nothing refused for good');
  assert.equal(result.acked, result.accepted, 'every message ended acked');
  assert.equal(result.auditVerified, true, 'sealpush audit verify passes');
  assert.equal(result.passed, true, summary);
});
