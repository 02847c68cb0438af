// The client retention pass (usecases/retention.ts) with a moved clock: the cutoff it asks
// the store for, the guard it passes to each forget, one audit record with the count, and
// how often it looks (once per RETENTION_CHECK_MS, sooner while a full batch says more wait).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { AuditEvent } from '../../src/domain/audit.js';
import type { ForgetResult } from '../../src/domain/ports/client-registry.js';
import { ClientRetention, RETENTION_BATCH, RETENTION_CHECK_MS, type RetentionDeps } from '../../src/domain/usecases/retention.js';
import { ManualClock, T0 } from '../helpers/domain.js';

const DAY = 86_400_000;

/** A store holding `stale` stale client ids; `kept` ones refuse their guarded forget (seen since). */
function fakeStore(stale: string[], kept: string[] = []) {
  const calls = { listed: [] as number[], forgotten: [] as [string, number | undefined][], audit: [] as AuditEvent[] };
  const store: RetentionDeps['store'] = {
    staleClients: async (seenBefore, limit) => {
      calls.listed.push(seenBefore);
      return stale.splice(0, limit);
    },
    forgetClient: async (clientId, _appId, at, staleBefore) => {
      calls.forgotten.push([clientId, staleBefore]);
      if (kept.includes(clientId)) return undefined;
      return { tombstone: { seq: 1, clientId, appId: 'A', forgottenAt: at }, messages: 0, receipts: 0, journalScrubbed: true } satisfies ForgetResult;
    },
    appendAudit: async (events) => {
      calls.audit.push(...events);
    },
  };
  return { store, calls };
}

test('a pass forgets the stale clients still stale, guarded by the same cutoff, and audits the count once', async () => {
  const clock = new ManualClock(T0 + 100 * DAY);
  const { store, calls } = fakeStore(['c1', 'c2', 'c3'], ['c2']);
  const retention = new ClientRetention({ store, clock, logger: pino({ level: 'silent' }), retentionMs: 90 * DAY });
  assert.equal(await retention.pass(), 2);
  assert.deepEqual(calls.listed, [T0 + 10 * DAY]);
  assert.deepEqual(calls.forgotten, [['c1', T0 + 10 * DAY], ['c2', T0 + 10 * DAY], ['c3', T0 + 10 * DAY]]);
  assert.equal(calls.audit.length, 1);
  assert.deepEqual(JSON.parse(calls.audit[0]!.fields), { action: 'clients.prune', clients: 2, notSeenSince: new Date(T0 + 10 * DAY).toISOString() });
});

test('it looks once per RETENTION_CHECK_MS, and again at once after a full batch', async () => {
  const clock = new ManualClock();
  const { store, calls } = fakeStore(Array.from({ length: RETENTION_BATCH + 1 }, (_, i) => `c${i}`));
  const retention = new ClientRetention({ store, clock, logger: pino({ level: 'silent' }), retentionMs: DAY });
  assert.equal(await retention.pass(), RETENTION_BATCH);
  assert.equal(await retention.pass(), 1, 'a full batch: the next sweep looks again');
  assert.equal(await retention.pass(), 0);
  assert.equal(calls.listed.length, 2, 'after a short batch it waits');
  clock.advance(RETENTION_CHECK_MS - 1);
  await retention.pass();
  assert.equal(calls.listed.length, 2);
  clock.advance(1);
  await retention.pass();
  assert.equal(calls.listed.length, 3);
  assert.equal(calls.audit.length, 2, 'no record for a pass that forgot nobody');
});
