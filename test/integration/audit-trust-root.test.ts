import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/drivers/store/sqlite/store.js';
import { auditCheckpointVerifier, auditRecordHash, auditSigner, generateAuditKeyPair } from '../../src/crypto/node/audit.js';
import { fingerprint } from '../../src/crypto/node/keys.js';
import { AUDIT_KEY_PURPOSE, GENESIS_HASH } from '../../src/domain/audit.js';
import { verifyAuditChain } from '../../src/domain/usecases/audit-verify.js';
import { eventually, startTestServer, tempDir } from '../helpers/server.js';
import { clockAhead, exited, runCli, spawnServer } from '../helpers/process.js';
import { freshDatabase } from '../helpers/mysql.js';
import { mysqlMissing } from '../helpers/requirements.js';

interface Report {
  ok: boolean;
  records: number;
  problem?: { seq: number; code: string; reason: string };
  keys: { version: number; fingerprint: string; anchoredBy: string[] }[];
}
interface Row { seq: number; at: number; kind: string; fields: string }
interface CheckpointRow { seq: number; at: number }

const HOUR = 3_600_000;

/**
 * The attacker of issue 13 item 1: write access to the database, no master key (a DBA, a
 * restored or stolen backup). A real server writes an audit chain with several signed
 * checkpoints and stops; the attacker opens the SQLite file and rewrites it, and the CLI's
 * `audit verify --json` (and the admin route of a node started on it) must fail, naming why.
 */
describe('audit verify against a database rewritten without the master key', () => {
  const source = tempDir('sealpush-audit-root-');
  const copies: string[] = [];
  let token = '';
  let checkpoints: CheckpointRow[] = [];

  /** A copy of the stopped server's data dir (database and key file), to tamper with. */
  const copy = (): string => {
    const dir = tempDir('sealpush-audit-root-copy-');
    copies.push(dir);
    cpSync(source, dir, { recursive: true });
    return dir;
  };
  const configFile = (audit: Record<string, unknown>): string => {
    const dir = tempDir('sealpush-audit-config-');
    copies.push(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ audit }));
    return join(dir, 'config.json');
  };
  const verify = async (dataDir: string, env: Record<string, string> = {}, ...args: string[]): Promise<{ code: number; report: Report }> => {
    const run = await runCli(['--data', dataDir, 'audit', 'verify', '--json', ...args], env);
    assert.ok(run.code === 0 || run.code === 3, run.stdout + run.stderr);
    return { code: run.code, report: JSON.parse(run.stdout) as Report };
  };

  before(async () => {
    assert.equal((await runCli(['--data', source, 'init'])).code, 0);
    const admin = await runCli(['--data', source, 'admin', 'create', '--json']);
    assert.equal(admin.code, 0, admin.stderr);
    token = (JSON.parse(admin.stdout) as { token: string }).token;
    // Refusals are counted per address and code each second (audit.refusalIntervalSeconds): each
    // of the six below comes from its own address (trustProxy), so each is a record of its own.
    const server = await startTestServer({ dataDir: source, trustProxy: true, audit: { checkpointEveryRecords: 5, refusalIntervalSeconds: 1 } });
    const db = new Database(join(source, 'sealpush.db'), { readonly: true });
    const signed = (): number => (db.prepare('SELECT count(*) AS n FROM audit_checkpoints').get() as { n: number }).n;
    try {
      // Refused requests are audit records; every 5 records the node signs a checkpoint.
      for (let round = 0; round < 4; round++) {
        const before = signed();
        for (let i = 0; i < 6; i++) {
          const headers = { 'x-forwarded-for': `192.0.2.${round * 6 + i + 1}` };
          assert.equal((await fetch(`${server.url}/v1/clients/c_${round}_${i}`, { headers })).status, 401);
        }
        await eventually(async () => (signed() > before ? true : undefined), `checkpoint ${round + 1}`);
      }
    } finally {
      db.close();
      await server.close(); // the drain signs the head
    }
    const handle = new Database(join(source, 'sealpush.db'), { readonly: true });
    checkpoints = handle.prepare('SELECT seq, at FROM audit_checkpoints ORDER BY seq').all() as CheckpointRow[];
    handle.close();
    assert.ok(checkpoints.length >= 4, JSON.stringify(checkpoints));
  });
  after(() => [source, ...copies].forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test('the untouched data dir verifies, its audit key anchored by the master key', async () => {
    const { code, report } = await verify(source);
    assert.equal(code, 0, JSON.stringify(report));
    assert.deepEqual(report.keys.map((k) => [k.version, k.anchoredBy]), [[1, ['master-key']]]);
  });

  test("records deleted, chain re-hashed, the stored public key replaced and every checkpoint re-signed: 'audit-key-replaced', from the CLI and the admin route", async () => {
    const dir = copy();
    const attacker = generateAuditKeyPair();
    const db = new Database(join(dir, 'sealpush.db'));
    const genuine = (db.prepare('SELECT public_key FROM server_keys WHERE purpose = ?').get(AUDIT_KEY_PURPOSE) as { public_key: Buffer }).public_key;
    db.transaction(() => rewriteHistory(db, attacker))();
    db.close();

    // The rewrite is perfect under the old trust root (the key stored in the database).
    const store = openSqliteStore({ path: join(dir, 'sealpush.db') });
    const asBefore = await verifyAuditChain({
      store,
      hash: auditRecordHash,
      verifyCheckpoint: auditCheckpointVerifier(attacker.publicKey),
      coverage: { now: Date.now(), windowMs: 90_000 },
    });
    await store.close();
    assert.equal(asBefore.ok, true, JSON.stringify(asBefore.problem));

    const { code, report } = await verify(dir);
    assert.equal(code, 3);
    assert.equal(report.problem?.code, 'audit-key-replaced');
    assert.equal(report.problem?.seq, 0);
    assert.match(report.problem!.reason, new RegExp(`${fingerprint(attacker.publicKey)}.*${fingerprint(genuine)}`));

    const node = await spawnServer(dir);
    try {
      const res = await fetch(`${node.url}/v1/admin/audit/verify`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      const verification = (await res.json()) as { state: string; problem?: { code: string } };
      assert.equal(verification.state, 'failed');
      assert.equal(verification.problem?.code, 'audit-key-replaced');
    } finally {
      node.child.kill('SIGTERM');
      await exited(node.child);
    }
  });

  test("records after a checkpoint deleted with the checkpoints after it: 'records-uncovered' once older than the window, naming the first", async () => {
    const dir = copy();
    const kept = checkpoints[checkpoints.length - 3]!.seq;
    const cut = checkpoints[checkpoints.length - 2]!.seq - 1;
    assert.ok(cut > kept);
    const db = new Database(join(dir, 'sealpush.db'));
    db.transaction(() => {
      db.prepare('DELETE FROM audit_log WHERE seq > ?').run(cut);
      db.prepare('DELETE FROM audit_checkpoints WHERE seq > ?').run(kept);
      const last = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(cut) as { hash: Buffer };
      db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(cut, last.hash);
    })();
    db.close();

    // Within the window (here an hour of grace) records may legitimately be unsigned yet: nothing shows.
    assert.equal((await verify(dir, { SEALPUSH_CONFIG: configFile({ checkpointGraceSeconds: 3600 }) })).report.ok, true);
    const { code, report } = await verify(dir, clockAhead(HOUR));
    assert.equal(code, 3);
    assert.equal(report.problem?.code, 'records-uncovered');
    assert.equal(report.problem?.seq, kept + 1);
  });

  test('a verifier without the master key anchors on a pinned fingerprint (keys show), and refuses an unpinned key', async () => {
    const shown = await runCli(['--data', source, 'keys', 'show', '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const pin = (JSON.parse(shown.stdout) as { auditKeys: { fingerprint: string }[] }).auditKeys[0]!.fingerprint;
    const elsewhere = { SEALPUSH_MASTER_KEY: randomBytes(32).toString('base64url') };
    assert.equal((await verify(source, elsewhere)).report.problem?.code, 'audit-key-unanchored');

    const pinned = await verify(source, { ...elsewhere, SEALPUSH_CONFIG: configFile({ pinnedKeys: [pin] }) });
    assert.equal(pinned.code, 0, JSON.stringify(pinned.report));
    assert.deepEqual(pinned.report.keys[0]!.anchoredBy, ['pinned']);
    const other = fingerprint(generateAuditKeyPair().publicKey);
    assert.equal((await verify(source, { SEALPUSH_CONFIG: configFile({ pinnedKeys: [other] }) })).report.problem?.code, 'audit-key-not-pinned');
  });

  test('--from-export: the export key anchors too; an export with another key fails', async () => {
    const dir = copy();
    const file = join(dir, 'export.json');
    const exported = await runCli(['--data', dir, 'audit', 'export', '--out', file]);
    assert.equal(exported.code, 0, exported.stderr);
    const intact = await verify(dir, {}, '--from-export', file);
    assert.equal(intact.code, 0, JSON.stringify(intact.report));
    assert.deepEqual(intact.report.keys[0]!.anchoredBy, ['master-key', 'export']);

    const forged = join(dir, 'forged-export.json');
    const content = JSON.parse(readFileSync(file, 'utf8')) as { publicKey: string };
    writeFileSync(forged, JSON.stringify({ ...content, publicKey: Buffer.from(generateAuditKeyPair().publicKey).toString('base64url') }));
    assert.equal((await verify(dir, {}, '--from-export', forged)).report.problem?.code, 'audit-key-not-exported');
  });
});

/**
 * What the attacker does: deletes every third refused-request record, renumbers and re-hashes
 * the chain, points the head at it, stores their own audit public key, and replaces every
 * checkpoint with one of theirs (one per 5 records and the head, as the node would sign).
 */
function rewriteHistory(db: Database.Database, attacker: { publicKey: Uint8Array; secret: Uint8Array }): void {
  const rows = db.prepare('SELECT seq, at, kind, fields FROM audit_log ORDER BY seq').all() as Row[];
  const kept = rows.filter((row, i) => row.kind !== 'auth-failure' || i % 3 !== 0);
  assert.ok(kept.length < rows.length);
  db.prepare('DELETE FROM audit_log').run();
  db.prepare('DELETE FROM audit_checkpoints').run();
  const insert = db.prepare('INSERT INTO audit_log (seq, at, kind, fields, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)');
  const sign = auditSigner(attacker.secret);
  const checkpoint = db.prepare('INSERT INTO audit_checkpoints (seq, head_hash, at, key_version, signature) VALUES (?, ?, ?, ?, ?)');
  let prevHash: Uint8Array = GENESIS_HASH;
  kept.forEach((row, i) => {
    const record = { seq: i + 1, at: row.at, kind: row.kind, fields: row.fields, prevHash };
    const hash = auditRecordHash(record);
    insert.run(record.seq, record.at, record.kind, record.fields, prevHash, hash);
    if (record.seq % 5 === 0 || record.seq === kept.length) {
      const unsigned = { seq: record.seq, headHash: hash, at: row.at + 1, keyVersion: 1 };
      checkpoint.run(unsigned.seq, hash, unsigned.at, 1, sign(unsigned));
    }
    prevHash = hash;
  });
  db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(kept.length, prevHash);
  db.prepare('UPDATE server_keys SET public_key = ? WHERE purpose = ?').run(attacker.publicKey, AUDIT_KEY_PURPOSE);
}

describe('the same on MySQL (SEALPUSH_STORE)', { skip: mysqlMissing() }, () => {
  test("a replaced audit key is 'audit-key-replaced'; deleted checkpoints are 'records-uncovered'", async () => {
    const db = await freshDatabase();
    const dataDir = tempDir('sealpush-audit-root-mysql-');
    const env = { SEALPUSH_STORE: db.url };
    const cli = async (args: string[], more: Record<string, string> = {}) => runCli(['--data', dataDir, ...args], { ...env, ...more });
    try {
      assert.equal((await cli(['init'])).code, 0);
      // Admin commands sign the head of what they appended, with no node running.
      for (const name of ['a', 'b']) assert.equal((await cli(['apps', 'create', name])).code, 0);
      const verify = async (more: Record<string, string> = {}): Promise<Report> => JSON.parse((await cli(['audit', 'verify', '--json'], more)).stdout) as Report;
      const intact = await verify(clockAhead(HOUR));
      assert.equal(intact.ok, true, JSON.stringify(intact.problem));
      assert.deepEqual(intact.keys.map((k) => k.anchoredBy), [['master-key']]);

      await db.query('DELETE FROM audit_checkpoints');
      const uncovered = (await verify(clockAhead(HOUR))).problem;
      assert.deepEqual([uncovered?.code, uncovered?.seq], ['records-uncovered', 1]);
      await db.query('UPDATE server_keys SET public_key = ? WHERE purpose = ?', [Buffer.from(generateAuditKeyPair().publicKey), AUDIT_KEY_PURPOSE]);
      assert.equal((await verify()).problem?.code, 'audit-key-replaced');
    } finally {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
