// The short form of `npm run chaos -- crash-loop` (docs/reliability.md): a few kill -9s of a
// node under publishers, resuming clients and a webhook receiver, on SQLite and on MySQL; the
// recorded history must show nothing lost, duplicated or reordered, no status going back,
// every acked message's webhook, and a verifying audit chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCrashLoop, type CrashLoopResult } from '../../chaos/crash-loop/scenario.js';
import { freshDatabase } from '../helpers/mysql.js';
import { mysqlMissing } from '../helpers/requirements.js';

const SHORT = { kills: 4, minGapMs: 300, maxGapMs: 1200, clients: 12, paceMs: 20, churnMs: 2000, settleMs: 60_000 };

function assertHeld(result: CrashLoopResult): void {
  const summary = JSON.stringify({ ...result, details: undefined }, (_k, v: unknown) => (Array.isArray(v) ? v.slice(0, 5) : v));
  assert.ok(result.accepted > 0, 'the load got messages accepted');
  assert.deepEqual([result.lost, result.duplicated, result.unexpected, result.reordered], [[], [], [], []], summary);
  assert.deepEqual(result.backwards, [], result.backwardReads.join('; '));
  assert.deepEqual(result.refusals, [], 'nothing refused for good');
  assert.equal(result.acked, result.accepted, 'every message ended acked');
  assert.deepEqual(result.webhookMissing, [], 'a message.acked webhook for every acked message');
  assert.equal(result.auditVerified, true, 'sealpush audit verify passes');
  assert.ok(result.resumes > 0 && result.statusReads > 0, 'clients resumed and statuses were read meanwhile');
  assert.equal(result.passed, true);
}

test('crash loop on SQLite: kill -9 under load loses, duplicates and reorders nothing', { timeout: 240_000 }, async () => {
  assertHeld(await runCrashLoop({ store: 'sqlite', ...SHORT }));
});

test('crash loop on MySQL: the same', { timeout: 240_000, skip: mysqlMissing() }, async () => {
  const db = await freshDatabase();
  try {
    assertHeld(await runCrashLoop({ store: db.url, ...SHORT }));
  } finally {
    await db.drop();
  }
});
