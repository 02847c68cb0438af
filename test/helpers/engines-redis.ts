/**
 * The short form of `npm run chaos -- engines-redis` for npm test: the faults given, once each,
 * on a fresh MySQL database, and every promise of the record asserted. Two test files share it
 * (the node-paused fault alone waits out the 30 s presence ttl).
 */
import assert from 'node:assert/strict';
import { enginesRedisRun, runEnginesRedis } from '../../chaos/engines-redis/scenario.js';
import type { FaultKind } from '../../chaos/engines-redis/verdict.js';
import { freshDatabase } from './mysql.js';

export async function shortEnginesRedis(faults: readonly FaultKind[]): Promise<void> {
  const db = await freshDatabase();
  try {
    const result = await runEnginesRedis({ ...enginesRedisRun(true), faults, mysqlUrl: db.url });
    const summary = JSON.stringify(result, (_k, v: unknown) => (Array.isArray(v) && v.length > 5 ? v.slice(0, 5) : v));
    assert.ok(result.accepted > 0, 'the load got messages accepted');
    assert.deepEqual([result.lost, result.duplicated, result.unexpected, result.reordered], [[], [], [], []], summary);
    assert.deepEqual(result.backwards, [], result.backwardReads.join('; '));
    assert.deepEqual(result.refusals, [], 'nothing refused for good');
    assert.deepEqual(result.problems, [], summary);
    assert.deepEqual(result.faults.map((f) => f.fault), faults);
    assert.equal(result.replaysAccepted, 0, 'no replay let through');
    assert.ok(result.resumes > 0, 'clients resumed meanwhile');
    assert.equal(result.passed, true);
  } finally {
    await db.drop();
  }
}
