import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { openSqliteStore, type SqliteStore } from '../../src/drivers/store/sqlite/store.js';
import { auditCheckpointVerifier, auditRecordHash, auditSigner, generateAuditKeyPair } from '../../src/crypto/node/audit.js';
import { GENESIS_HASH, adminEvent, authFailureEvent, type AuditCheckpoint } from '../../src/domain/audit.js';
import { AuditCheckpointer } from '../../src/domain/usecases/audit.js';
import { verifyAuditChain } from '../../src/domain/usecases/audit-verify.js';
import { DIRECT_DELIVERY } from '../../src/domain/delivery-settings.js';
import { tempDir } from '../helpers/server.js';

const T0 = 1_700_000_000_000;
const ITERATIONS = 200;

/** mulberry32: a small seeded PRNG, so that a failing run can be repeated with its seed. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

interface Row { seq: number; at: number; kind: string; fields: string; prev_hash: Buffer; hash: Buffer }

/**
 * Builds a few hundred audit records through the real store (publish, deliver, ack, expire
 * records from commits; auth failures and admin records appended), with signed checkpoints
 * every 40 records, then tampers copies of the database in every way verification must catch.
 */
describe('audit verify finds every kind of tampering, naming the first bad record', () => {
  const dir = tempDir('sealpush-audit-tamper-');
  const path = join(dir, 'source.db');
  const key = generateAuditKeyPair();
  const verifyCheckpoint = auditCheckpointVerifier(key.publicKey);
  let exported: AuditCheckpoint[] = [];
  let headSeq = 0;

  before(async () => {
    const store = openSqliteStore({ path, durability: 'normal' });
    let now = T0;
    const clock = { now: () => now };
    const checkpointer = new AuditCheckpointer({
      store,
      clock,
      sign: auditSigner(key.secret),
      keyVersion: 1,
      policy: { everyRecords: 40, everyMs: 3_600_000 },
    });
    await store.createApp({ id: 'app_t', name: 't', wrappedSecret: new Uint8Array(8), createdAt: now, delivery: DIRECT_DELIVERY });
    const clients = Array.from({ length: 4 }, (_, i) => ({ id: `cl_${i}`, appId: 'app_t', staticKey: new Uint8Array(32).fill(i + 1), keySalt: new Uint8Array(32).fill(i + 50), createdAt: now }));
    await store.commit({ clients, messages: [], delivered: [], acked: [], seen: [], at: now });
    const seqs = new Map<string, number>();
    for (let round = 0; round < 90; round++) {
      now += 1000;
      const messages = clients.map((c, i) => ({
        appId: 'app_t', id: `m_${round}_${i}`, clientId: c.id, payload: new Uint8Array(randomBytes(16)), createdAt: now,
        // Every third round's messages expire soon, for expire records.
        expiresAt: now + (round % 3 === 0 ? 500 : 86_400_000),
      }));
      const result = await store.commit({ clients: [], messages, delivered: [], acked: [], seen: [], at: now });
      result.messages.forEach((o, i) => o.kind === 'inserted' && seqs.set(clients[i]!.id, o.seq));
      const marks = clients.slice(0, 2).map((c) => ({ clientId: c.id, uptoSeq: seqs.get(c.id)! }));
      const audit = round % 5 === 0 ? [authFailureEvent({ scheme: 'hmac', appId: 'app_t', code: 'ERR_AUTH_SIGNATURE', remote: '127.0.0.1' })] : [];
      await store.commit({ clients: [], messages: [], delivered: marks, acked: round % 2 === 0 ? marks : [], seen: [], at: now + 1, audit });
      if (round % 10 === 0) await store.appendAudit([adminEvent('apps.update', { app: 'app_t', delivery: 'direct' })], now + 2);
      if (round % 3 === 1) await store.expireMessages(now, 100);
      await checkpointer.tick();
    }
    await checkpointer.tick(true);
    headSeq = (await store.auditHead()).seq;
    exported = await store.auditCheckpoints(0, 10_000);
    assert.ok(headSeq >= 250, `a few hundred records (${headSeq})`);
    assert.ok(exported.length >= 7);
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function verifyFile(file: string) {
    const store: SqliteStore = openSqliteStore({ path: file, durability: 'normal' });
    try {
      // Long after the records were written: the coverage rule applies to every one of them.
      return await verifyAuditChain({ store, hash: auditRecordHash, verifyCheckpoint, exported, pageSize: 64, coverage: { now: Date.now(), windowMs: 90_000 } });
    } finally {
      await store.close();
    }
  }

  test('the untouched chain verifies, with every checkpoint', async () => {
    const report = await verifyFile(path);
    assert.equal(report.ok, true, JSON.stringify(report.problem));
    assert.equal(report.records, headSeq);
    assert.equal(report.checkpoints, exported.length * 2);
  });

  /** Each tampering changes the copy and returns the seq that verification must name. */
  const TAMPERINGS: Record<string, (db: Database.Database, pick: (n: number) => number) => number> = {
    'edit a field': (db, pick) => {
      const seq = 1 + pick(headSeq);
      const column = ['at', 'kind', 'fields', 'prev_hash', 'hash'][pick(5)]!;
      const row = db.prepare('SELECT * FROM audit_log WHERE seq = ?').get(seq) as Row;
      const edited = column === 'at' ? row.at + 1
        : column === 'kind' ? (row.kind === 'ack' ? 'deliver' : 'ack')
          : column === 'fields' ? row.fields.replace(/\d/, (d) => String((Number(d) + 1) % 10)) + (/\d/.test(row.fields) ? '' : ' ')
            : flip(row[column as 'hash']);
      db.prepare(`UPDATE audit_log SET ${column} = ? WHERE seq = ?`).run(edited, seq);
      return seq;
    },
    'delete a record': (db, pick) => {
      const seq = 1 + pick(headSeq);
      db.prepare('DELETE FROM audit_log WHERE seq = ?').run(seq);
      return seq;
    },
    'delete a record and renumber the rest': (db, pick) => {
      const seq = 1 + pick(headSeq - 1);
      db.prepare('DELETE FROM audit_log WHERE seq = ?').run(seq);
      const shift = db.prepare('UPDATE audit_log SET seq = seq - 1 WHERE seq = ?');
      for (let s = seq + 1; s <= headSeq; s++) shift.run(s);
      setHead(db);
      return seq;
    },
    'insert a forged record': (db, pick) => {
      const seq = 1 + pick(headSeq);
      const shift = db.prepare('UPDATE audit_log SET seq = seq + 1 WHERE seq = ?');
      for (let s = headSeq; s >= seq; s--) shift.run(s);
      const before = db.prepare('SELECT hash, at FROM audit_log WHERE seq = ?').get(seq - 1) as { hash: Buffer; at: number } | undefined;
      // A forger with write access computes a valid hash linked to the record before.
      const forged = { seq, at: before?.at ?? T0, ...adminEvent('apps.create', { app: 'app_forged', name: 'x' }), prevHash: before?.hash ?? GENESIS_HASH };
      db.prepare('INSERT INTO audit_log (seq, at, kind, fields, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)')
        .run(forged.seq, forged.at, forged.kind, forged.fields, forged.prevHash, auditRecordHash(forged));
      setHead(db);
      return seq;
    },
    'swap two records': (db, pick) => {
      const a = 1 + pick(headSeq - 1);
      const b = a + 1 + pick(Math.min(5, headSeq - a));
      const get = db.prepare('SELECT at, kind, fields, prev_hash, hash FROM audit_log WHERE seq = ?');
      const put = db.prepare('UPDATE audit_log SET at = @at, kind = @kind, fields = @fields, prev_hash = @prev_hash, hash = @hash WHERE seq = @seq');
      const rowA = get.get(a) as Omit<Row, 'seq'>;
      const rowB = get.get(b) as Omit<Row, 'seq'>;
      put.run({ ...rowB, seq: a });
      put.run({ ...rowA, seq: b });
      return a;
    },
    'truncate past an exported checkpoint': (db, pick) => {
      const covered = exported[exported.length - 1]!.seq;
      const keep = pick(covered);
      db.prepare('DELETE FROM audit_log WHERE seq > ?').run(keep);
      // A careful truncator also drops the stored checkpoints and rewinds the head.
      db.prepare('DELETE FROM audit_checkpoints WHERE seq > ?').run(keep);
      setHead(db);
      return keep + 1;
    },
    'edit a checkpoint': (db, pick) => {
      const checkpoint = exported[pick(exported.length)]!;
      const column = ['head_hash', 'at', 'key_version', 'signature'][pick(4)]!;
      const row = db.prepare('SELECT * FROM audit_checkpoints WHERE seq = ?').get(checkpoint.seq) as Record<string, Buffer | number>;
      const value = row[column]!;
      db.prepare(`UPDATE audit_checkpoints SET ${column} = ? WHERE seq = ?`).run(typeof value === 'number' ? value + 1 : flip(value), checkpoint.seq);
      return checkpoint.seq;
    },
  };

  test(`${ITERATIONS} random tamperings of a copy are each found, at the right record`, async () => {
    const seed = Number(process.env.AUDIT_TAMPER_SEED ?? Date.now() % 2 ** 31);
    console.log(`audit tamper seed: ${seed} (AUDIT_TAMPER_SEED=${seed} repeats this run)`);
    const pick = prng(seed);
    const names = Object.keys(TAMPERINGS);
    const seen = new Map<string, number>();
    for (let i = 0; i < ITERATIONS; i++) {
      const name = names[i % names.length]!;
      const copy = join(dir, `copy-${i}.db`);
      copyFileSync(path, copy);
      const db = new Database(copy);
      const expected = db.transaction(() => TAMPERINGS[name]!(db, pick))();
      db.close();
      const report = await verifyFile(copy);
      rmSync(copy, { force: true });
      assert.equal(report.ok, false, `seed ${seed}, iteration ${i}: "${name}" went unnoticed`);
      assert.equal(report.problem!.seq, expected, `seed ${seed}, iteration ${i}: "${name}" named ${report.problem!.seq} (${report.problem!.reason}), not ${expected}`);
      seen.set(name, (seen.get(name) ?? 0) + 1);
    }
    assert.equal(seen.size, names.length);
  });
});

function flip(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy[copy.length - 1]! ^= 0x01;
  return copy;
}

/** Points the head at the last record, as a careful tamperer would. */
function setHead(db: Database.Database): void {
  const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: Buffer } | undefined;
  db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(last?.seq ?? 0, last?.hash ?? Buffer.alloc(32));
}
