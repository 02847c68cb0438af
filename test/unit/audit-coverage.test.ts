import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore, type SqliteStore } from '../../src/drivers/store/sqlite/store.js';
import { auditCheckpointVerifier, auditRecordHash, auditSigner, generateAuditKeyPair } from '../../src/crypto/node/audit.js';
import { adminEvent, type AuditCheckpoint } from '../../src/domain/audit.js';
import { verifyAuditChain } from '../../src/domain/usecases/audit-verify.js';

const T0 = 1_700_000_000_000;
const WINDOW = 90_000;
const key = generateAuditKeyPair();
const sign = auditSigner(key.secret);

/** Records 1-4 at T0 with a checkpoint of record 4, then records 5-7 at T0 + 10 s, unsigned. */
async function chain(): Promise<{ store: SqliteStore; tailCheckpoint: AuditCheckpoint }> {
  const store = openSqliteStore({ path: ':memory:' });
  const append = (n: number, at: number) => store.appendAudit(Array.from({ length: n }, () => adminEvent('apps.update', { app: 'a' })), at);
  await append(4, T0);
  const head = await store.auditHead();
  const unsigned = { seq: head.seq, headHash: head.hash, at: T0, keyVersion: 1 };
  await store.addAuditCheckpoint({ ...unsigned, signature: sign(unsigned) });
  await append(3, T0 + 10_000);
  const tail = await store.auditHead();
  const tailUnsigned = { seq: tail.seq, headHash: tail.hash, at: T0 + 11_000, keyVersion: 1 };
  return { store, tailCheckpoint: { ...tailUnsigned, signature: sign(tailUnsigned) } };
}

function verify(store: SqliteStore, now: number, exported: AuditCheckpoint[] = []) {
  return verifyAuditChain({ store, hash: auditRecordHash, verifyCheckpoint: auditCheckpointVerifier(key.publicKey), exported, coverage: { now, windowMs: WINDOW } });
}

describe('checkpoint coverage: an unsigned record older than the window fails', () => {
  test('records after the last checkpoint pass while younger than the window, up to its exact end', async () => {
    const { store } = await chain();
    assert.equal((await verify(store, T0 + 10_000 + 5_000)).ok, true);
    assert.equal((await verify(store, T0 + 10_000 + WINDOW)).ok, true, 'exactly the window old: still allowed');
    await store.close();
  });

  test("past the window: 'records-uncovered', naming the first record after the last checkpoint", async () => {
    const { store } = await chain();
    const report = await verify(store, T0 + 10_000 + WINDOW + 1);
    assert.equal(report.ok, false);
    assert.equal(report.problem?.code, 'records-uncovered');
    assert.equal(report.problem?.seq, 5);
    assert.match(report.problem!.reason, /last signed checkpoint is at record 4/);
    await store.close();
  });

  test('an exported checkpoint covers the tail too; a forged one covers nothing', async () => {
    const { store, tailCheckpoint } = await chain();
    const late = T0 + 10 * WINDOW;
    assert.equal((await verify(store, late, [tailCheckpoint])).ok, true);
    const forged = { ...tailCheckpoint, signature: auditSigner(generateAuditKeyPair().secret)(tailCheckpoint) };
    const report = await verify(store, late, [forged]);
    assert.equal(report.problem?.code, 'records-uncovered');
    assert.equal(report.problem?.seq, 5);
    await store.close();
  });

  test('a chain with no checkpoint at all fails at record 1 once record 1 is older than the window', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await store.appendAudit([adminEvent('apps.create', { app: 'a', name: 'a' })], T0);
    assert.equal((await verify(store, T0 + 1_000)).ok, true, 'a fresh chain, not yet due');
    const report = await verify(store, T0 + WINDOW + 1);
    assert.deepEqual([report.problem?.code, report.problem?.seq], ['records-uncovered', 1]);
    assert.match(report.problem!.reason, /no signed checkpoint exists/);
    await store.close();
  });
});
