// The short form of `npm run chaos -- disk-full` (docs/reliability.md): a node's SQLite data
// on a small tmpfs is filled by publishers while an SDK client receives; publishes must get
// 503 ERR_UNAVAILABLE (never a 500, never a 202 that was not committed), reads must still
// answer, and once the tmpfs is grown under the running node the refused ids, sent again,
// are accepted; every accepted message is delivered once and is there after a restart. Once
// with the WAL filling the disk, once with a WAL checkpoint running out of room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mountPermitted } from '../../chaos/disk-full/filesystem.js';
import { runDiskFull, type DiskFullResult } from '../../chaos/disk-full/scenario.js';
import { checkpointFills, walFills } from '../../chaos/disk-full/variants.js';
import { requirement } from '../helpers/requirements.js';

const skip = requirement('permission to mount a tmpfs', mountPermitted(), 'run the tests as root (or with CAP_SYS_ADMIN)');

function assertHeld(result: DiskFullResult): void {
  const summary = JSON.stringify({ ...result, received: result.received.length, accepted: result.accepted.length }, (_k, v: unknown) => (Array.isArray(v) ? v.slice(0, 5) : v));
  assert.equal(result.filled.full, true, `the disk filled: ${summary}`);
  assert.ok(result.filled.accepted > 0 && result.filled.refused > 0, summary);
  assert.deepEqual(Object.keys(result.answers).sort(), ['202', 'ERR_UNAVAILABLE'], 'publishes answered 202 or 503 ERR_UNAVAILABLE only');
  assert.equal(result.whileFull.alive && result.aliveAtEnd, true, 'the node never exited');
  assert.ok(['queued', 'delivered', 'acked'].includes(result.whileFull.statusRead), `a committed message read while full: ${result.whileFull.statusRead}`);
  assert.equal(result.whileFull.healthz, 200);
  assert.equal(result.recovery.recovered, true, `publishes accepted again once the disk grew: ${summary}`);
  assert.deepEqual([result.lost, result.duplicated, result.unexpected], [[], [], []], summary);
  assert.equal(result.auditVerified, true, result.auditOutput);
  assert.deepEqual(result.missingAfterRestart, [], 'every accepted message is there after the restart');
  assert.deepEqual(result.problems, []);
}

test('disk full (the WAL fills): 503s, reads answer, recovery without a restart, nothing committed lost', { timeout: 120_000, skip }, async () => {
  assertHeld(await runDiskFull({ ...walFills(true).options, phaseMs: 30_000 }));
});

test('disk full (a WAL checkpoint runs out of room): the same, the client resuming after', { timeout: 120_000, skip }, async () => {
  assertHeld(await runDiskFull({ ...checkpointFills(true).options, phaseMs: 30_000 }));
});
