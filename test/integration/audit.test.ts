import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { connect } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { eventually, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { runCli } from '../helpers/process.js';
import { collect } from '../helpers/messages.js';

interface AuditRow { seq: number; kind: string; fields: string }

/**
 * A real server: publish, deliver, ack, a bad signature, a replay and an app created by the
 * CLI each leave an audit record with the right fields and nothing of the payload; then
 * `sealpush audit verify` passes, and fails naming the record once one is edited.
 */
describe('the audit log of a real server', () => {
  const dataDir = tempDir('sealpush-audit-');
  const db = join(dataDir, 'sealpush.db');
  const marker = `payload-text-${randomBytes(8).toString('hex')}`;
  let server: TestServer;
  let clientId = '';
  let messageId = '';
  let badSig = '';
  let cliAppId = '';

  const rows = (kind?: string): AuditRow[] => {
    const handle = new Database(db, { readonly: true });
    try {
      const sql = `SELECT seq, kind, fields FROM audit_log ${kind ? 'WHERE kind = ?' : ''} ORDER BY seq`;
      return handle.prepare(sql).all(...(kind ? [kind] : [])) as AuditRow[];
    } finally {
      handle.close();
    }
  };
  const fieldsOf = (kind: string) => rows(kind).map((r) => JSON.parse(r.fields) as Record<string, unknown>);

  function signed(path: string, body: string, sig?: string): { authorization: string } {
    const ts = Math.floor(Date.now() / 1000);
    const nonce = randomBytes(16).toString('base64url');
    const canonical = `POST\n${path}\n${ts}\n${nonce}\n${createHash('sha256').update(body).digest('hex')}`;
    const real = createHmac('sha256', Buffer.from(server.app.secret, 'base64url')).update(canonical).digest('base64url');
    return { authorization: `SEALPUSH-HMAC-SHA256 app=${server.app.appId},ts=${ts},nonce=${nonce},sig=${sig ?? real}` };
  }
  const post = (headers: Record<string, string>, body: string) =>
    fetch(`${server.url}/v1/messages`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });

  before(async () => {
    server = await startTestServer({ dataDir, markFlushMs: 20 });
    const app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
    // The client acks every second message: the first is delivered (and its mark committed)
    // before any ack covers it. A delivered mark that an ack in the same commit covers is
    // not written, nor recorded: the ack record then stands for both.
    const client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, ackDelayMs: 60_000, ackEvery: 2 });
    clientId = client.clientId;
    const received = collect(client, 2);
    messageId = (await app.publish({ to: clientId, data: { text: marker } })).id;
    const status = (id: string, want: string) => eventually(async () => ((await app.status(id)).status === want ? true : undefined), want);
    await status(messageId, 'delivered');
    const second = (await app.publish({ to: clientId, data: { text: marker } })).id;
    await received;
    await status(second, 'acked');
    await client.close();

    const body = JSON.stringify({ to: clientId, data: { text: marker } });
    badSig = randomBytes(32).toString('base64url');
    assert.equal((await post(signed('/v1/messages', body, badSig), body)).status, 401);
    const once = signed('/v1/messages', body);
    assert.equal((await post(once, body)).status, 202);
    assert.equal((await post(once, body)).status, 401);

    const created = await runCli(['--data', dataDir, 'apps', 'create', 'cli-app', '--json']);
    assert.equal(created.code, 0, created.stderr);
    cliAppId = (JSON.parse(created.stdout) as { appId: string }).appId;
    // The drain writes the refusals counted so far (they are recorded once per interval).
    await server.close();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('publish, deliver and ack records name the app, message, client and seq', () => {
    const published = fieldsOf('publish').flatMap((f) => (f.messages as [string, string, number][]).map((m) => ({ app: f.app, m })));
    assert.deepEqual(published.find(({ m }) => m[0] === messageId), { app: server.app.appId, m: [messageId, clientId, 1] });
    const delivered = fieldsOf('deliver').flatMap((f) => f.marks as [string, number][]);
    assert.ok(delivered.some(([c, seq]) => c === clientId && seq === 1), JSON.stringify(delivered));
    const acked = fieldsOf('ack').flatMap((f) => f.marks as [string, number][]);
    assert.ok(acked.some(([c, seq]) => c === clientId && seq === 2), JSON.stringify(acked));
  });

  test('a bad signature and a replay are recorded with the claimed app, code, address and count, not the signature', () => {
    const counted = (f: Record<string, unknown> | undefined) => {
      assert.ok(f && typeof f.from === 'number' && f.from === f.to, JSON.stringify(f));
      const { from: _from, to: _to, ...rest } = f;
      return rest;
    };
    const failure = fieldsOf('auth-failure').find((f) => f.code === 'ERR_AUTH_SIGNATURE');
    assert.deepEqual(counted(failure), { app: server.app.appId, issuer: null, scheme: 'hmac', code: 'ERR_AUTH_SIGNATURE', remote: '127.0.0.1', count: 1, otherClaims: 0 });
    const replay = fieldsOf('replay-refused')[0];
    assert.deepEqual(counted(replay), { app: server.app.appId, issuer: null, scheme: 'hmac', code: 'ERR_AUTH_REPLAY', remote: '127.0.0.1', count: 1, otherClaims: 0 });
  });

  test('apps create (CLI) is an admin record without the secret', () => {
    const created = fieldsOf('admin').filter((f) => f.action === 'apps.create').map((f) => f.app);
    assert.deepEqual(created, [server.app.appId, cliAppId]);
  });

  test('no payload text, signature or secret is anywhere in the audit tables', () => {
    const handle = new Database(db, { readonly: true });
    try {
      for (const table of ['audit_log', 'audit_head', 'audit_checkpoints', 'audit_acks']) {
        const dump = JSON.stringify(handle.prepare(`SELECT * FROM ${table}`).all(), (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
        for (const secret of [marker, badSig, server.app.secret]) assert.ok(!dump.includes(secret), `${table} holds ${secret}`);
      }
    } finally {
      handle.close();
    }
  });

  test('the drain signed a checkpoint of the head; audit verify and export pass, and verify fails on an edit, naming it', async () => {
    const verified = await runCli(['--data', dataDir, 'audit', 'verify', '--json']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const report = JSON.parse(verified.stdout) as { ok: boolean; records: number; checkpoints: number };
    assert.equal(report.ok, true);
    assert.equal(report.records, rows().length);
    assert.ok(report.checkpoints >= 1);

    const exportFile = join(dataDir, 'audit-export.json');
    const exported = await runCli(['--data', dataDir, 'audit', 'export', '--out', exportFile]);
    assert.equal(exported.code, 0, exported.stderr);
    const fromExport = await runCli(['--data', dataDir, 'audit', 'verify', '--from-export', exportFile]);
    assert.equal(fromExport.code, 0, fromExport.stdout + fromExport.stderr);
    assert.match(fromExport.stdout, /audit log intact/);

    const target = rows('publish')[0]!;
    const handle = new Database(db);
    handle.prepare('UPDATE audit_log SET fields = ? WHERE seq = ?').run(target.fields.replace(clientId, 'cl_someone_else'), target.seq);
    handle.close();
    const broken = await runCli(['--data', dataDir, 'audit', 'verify', '--from-export', exportFile, '--json']);
    assert.equal(broken.code, 3, broken.stdout + broken.stderr);
    assert.equal((JSON.parse(broken.stdout) as { problem: { seq: number } }).problem.seq, target.seq);

    const notAnExport = await runCli(['--data', dataDir, 'audit', 'verify', '--from-export', db]);
    assert.equal(notAnExport.code, 1);
    assert.match(notAnExport.stderr, /ERR_BAD_REQUEST: .* is not an audit export/);
  });
});
