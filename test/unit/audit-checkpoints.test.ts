import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../src/drivers/store/sqlite/store.js';
import { auditCheckpointVerifier, auditSigner, generateAuditKeyPair } from '../../src/crypto/node/audit.js';
import { adminEvent } from '../../src/domain/audit.js';
import { AuditCheckpointer } from '../../src/domain/usecases/audit.js';

const T0 = 1_700_000_000_000;

test('checkpoints follow the policy: every N records or T ms, forced at drain, never twice for one head', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  let now = T0;
  const key = generateAuditKeyPair();
  const checkpointer = new AuditCheckpointer({
    store,
    clock: { now: () => now },
    sign: auditSigner(key.secret),
    keyVersion: 1,
    policy: { everyRecords: 5, everyMs: 60_000 },
  });
  const append = (n: number) => store.appendAudit(Array.from({ length: n }, () => adminEvent('apps.update', { app: 'a' })), now);

  assert.equal(await checkpointer.tick(true), undefined, 'an empty chain has nothing to sign');
  await append(1);
  assert.equal((await checkpointer.tick())?.seq, 1, 'the first record is covered at once');
  await append(3);
  assert.equal(await checkpointer.tick(), undefined, '3 records, 0 s: not due');
  await append(2);
  const byCount = await checkpointer.tick();
  assert.equal(byCount?.seq, 6, '5 records since the last: due');
  await append(1);
  now += 59_999;
  assert.equal(await checkpointer.tick(), undefined);
  now += 1;
  assert.equal((await checkpointer.tick())?.seq, 7, '60 s since the last: due');
  assert.equal(await checkpointer.tick(true), undefined, 'nothing new: no checkpoint, even forced');
  await append(1);
  assert.equal((await checkpointer.tick(true))?.seq, 8, 'forced (drain): covers the head');

  const stored = await store.auditCheckpoints(0, 100);
  assert.deepEqual(stored.map((c) => c.seq), [1, 6, 7, 8]);
  const head = await store.auditHead();
  assert.deepEqual(new Uint8Array(stored[3]!.headHash), new Uint8Array(head.hash));
  assert.ok(stored.every(auditCheckpointVerifier(key.publicKey)));
  await store.close();
});
