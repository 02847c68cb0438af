/**
 * Crypto-shredding on a real server: clients forgotten through the CLI (another process,
 * while the server runs) and through DELETE /v1/clients/:id lose their key material, their
 * messages and their signed receipts from the raw database files, their live connections
 * close, their ids read as unknown, and their static keys make new clients; everyone else is
 * untouched. Both report whether the WAL was scrubbed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connect, type SealPushClient } from '../../src/client/index.js';
import { SealPushApp, type SealPushError } from '../../src/app/index.js';
import { deriveClientKey, createPayloadKeyring } from '../../src/crypto/node/at-rest.js';
import { openLocalKms } from '../../src/drivers/kms/local.js';
import { payloadAad } from '../../src/domain/usecases/payload-aad.js';
import { collect, once } from '../helpers/messages.js';
import { exited, runCli, spawnServer, type ServerProcess } from '../helpers/process.js';
import { createApp, eventually, tempDir, updateApp } from '../helpers/server.js';
import type { CreatedApp } from '../../src/domain/usecases/apps.js';

/** Fails instead of hanging when the event never comes. */
function within<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface KeyMaterial {
  readonly keySalt: Buffer;
  readonly clientKey: Uint8Array;
  /** The sealed payload of every message of the client still stored. */
  readonly ciphertexts: Buffer[];
  /** The signature of every receipt of the client (its signed ACKs). */
  readonly receiptSignatures: Buffer[];
}

describe('clients forget: crypto-shredding on a running server', () => {
  // The server runs in its own process, as in production: the test's own reads of the
  // database (to extract key material) then share no process, and no file locks, with it.
  let dataDir: string;
  let server: ServerProcess;
  let serverKey: string;
  let created: CreatedApp;
  let app: SealPushApp;
  let otherApp: SealPushApp;
  let receiptsCreated: CreatedApp;
  let receiptsApp: SealPushApp;
  const open: SealPushClient[] = [];

  before(async () => {
    dataDir = tempDir();
    created = await createApp(dataDir, 'test-app');
    const other = await createApp(dataDir, 'other-app');
    receiptsCreated = await createApp(dataDir, 'receipts-app');
    await updateApp(dataDir, receiptsCreated.appId, { receipts: true });
    server = await spawnServer(dataDir);
    serverKey = server.serverKey;
    app = new SealPushApp({ url: server.url, appId: created.appId, secret: created.secret });
    otherApp = new SealPushApp({ url: server.url, appId: other.appId, secret: other.secret });
    receiptsApp = new SealPushApp({ url: server.url, appId: receiptsCreated.appId, secret: receiptsCreated.secret });
  });
  after(async () => {
    for (const c of open) await c.close();
    server.child.kill('SIGTERM');
    await exited(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const dbPath = (): string => join(dataDir, 'sealpush.db');

  async function client(session?: ReturnType<SealPushClient['session']>, appId = created.appId): Promise<SealPushClient> {
    const c = await connect({ url: server.url, appId, serverKey, ...(session ? { session } : {}) });
    c.on('error', () => {}); // a forgotten client's close is reported here; the test reads 'disconnected'
    open.push(c);
    return c;
  }

  /** What the server holds for a client, read as the server reads it: the db, and the key file through the KMS. */
  async function keyMaterial(clientId: string): Promise<KeyMaterial> {
    const kms = await openLocalKms({ dataDir: dataDir, masterKey: process.env.SEALPUSH_MASTER_KEY });
    const db = new Database(dbPath(), { readonly: true });
    try {
      const wrapped = db.prepare("SELECT wrapped_secret FROM server_keys WHERE purpose = 'payload'").pluck().get() as Buffer;
      const payloadKey = await kms.unwrap(wrapped, 'server-key:payload');
      const row = db.prepare('SELECT no, app_id, key_salt FROM clients WHERE id = ?').get(clientId) as { no: number; app_id: string; key_salt: Buffer };
      const messages = db.prepare('SELECT m.id, m.payload FROM messages m JOIN clients c ON c.no = m.client_no WHERE c.id = ? AND m.payload IS NOT NULL')
        .all(clientId) as { id: string; payload: Buffer }[];
      // The extracted key really is the one: it opens every stored payload of the client.
      const cipher = createPayloadKeyring(payloadKey).forClient({ id: clientId, appId: row.app_id, keySalt: row.key_salt });
      for (const m of messages) cipher.open(m.payload, payloadAad(row.app_id, clientId, m.id));
      return {
        keySalt: row.key_salt,
        clientKey: deriveClientKey(payloadKey, row.key_salt, row.app_id, clientId),
        ciphertexts: messages.map((m) => m.payload),
        receiptSignatures: db.prepare('SELECT signature FROM ack_receipts WHERE client_no = ?').pluck().all(row.no) as Buffer[],
      };
    } finally {
      db.close();
    }
  }

  /** Every file of the data directory (db, WAL, shared memory, key file), read raw. */
  function assertGoneFromDisk(what: string, material: KeyMaterial): void {
    const needles: [string, Uint8Array][] = [
      ['key salt', material.keySalt],
      ['derived client key', material.clientKey],
      ...material.ciphertexts.map((c, i): [string, Uint8Array] => [`ciphertext ${i}`, c]),
      ...material.receiptSignatures.map((s, i): [string, Uint8Array] => [`receipt signature ${i}`, s]),
    ];
    const files = readdirSync(dataDir).map((name) => join(dataDir, name));
    assert.ok(files.some((f) => f.endsWith('sealpush.db')));
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const [name, needle] of needles) assert.equal(bytes.indexOf(needle), -1, `${what}: ${name} found in ${file}`);
    }
  }

  async function assertForgotten(clientId: string, messageIds: readonly string[]): Promise<void> {
    await assert.rejects(app.publish({ to: clientId, data: 'after' }), (err: SealPushError) => err.code === 'ERR_NOT_FOUND');
    await assert.rejects(app.client(clientId), (err: SealPushError) => err.code === 'ERR_NOT_FOUND');
    for (const id of messageIds) await assert.rejects(app.status(id), (err: SealPushError) => err.code === 'ERR_NOT_FOUND');
  }

  test('through the CLI: an offline client with pending messages, and a connected one', async () => {
    const bystander = await client();
    const bystanderId = bystander.session().clientId;

    // The victim receives some messages (acked), goes offline, and more are published: pending.
    const victim = await client();
    const victimSession = victim.session();
    const early = collect(victim, 2);
    const acked = [await app.publish({ to: victimSession.clientId, data: 'early-1' }), await app.publish({ to: victimSession.clientId, data: 'early-2' })];
    await early;
    await eventually(async () => ((await app.status(acked[1]!.id)).status === 'acked' ? true : undefined), 'the acks');
    await victim.close();
    const pending = await app.publishBatch([1, 2, 3].map((n) => ({ to: victimSession.clientId, data: `pending-${n}` })));
    const pendingIds = pending.map((r) => ('id' in r ? r.id : assert.fail(JSON.stringify(r))));

    // The connected one holds a live connection when it is forgotten.
    const live = await client();
    const liveId = live.session().clientId;
    const liveGot = collect(live, 1);
    await app.publish({ to: liveId, data: 'live-1' });
    await liveGot;
    const liveClosed = once<{ code: number; willReconnect: boolean }>((fn) => live.on('disconnected', fn));

    const victimMaterial = await keyMaterial(victimSession.clientId);
    assert.equal(victimMaterial.ciphertexts.length, 3, 'the pending payloads, sealed under the victim’s key');
    const liveMaterial = await keyMaterial(liveId);

    const forgotVictim = await runCli(['clients', 'forget', victimSession.clientId, '--json', '--data', dataDir]);
    assert.equal(forgotVictim.code, 0, forgotVictim.stderr);
    const report = JSON.parse(forgotVictim.stdout) as { clientId: string; appId: string; messagesDeleted: number; receiptsDeleted: number; journalScrubbed: boolean };
    assert.deepEqual([report.clientId, report.appId, report.messagesDeleted, report.receiptsDeleted, report.journalScrubbed], [victimSession.clientId, created.appId, 5, 0, true]);
    const forgotLive = await runCli(['clients', 'forget', liveId, '--data', dataDir]);
    assert.equal(forgotLive.code, 0, forgotLive.stderr);
    assert.match(forgotLive.stdout, /Forgot client/);

    // The server sees the tombstone (another process wrote it) and closes the connection for good.
    const closed = await within(liveClosed, 'close of the live connection');
    assert.deepEqual([closed.code, closed.willReconnect], [4508, false]);
    assertGoneFromDisk('victim', victimMaterial);
    assertGoneFromDisk('live client', liveMaterial);
    await assertForgotten(victimSession.clientId, [...acked.map((m) => m.id), ...pendingIds]);
    await assertForgotten(liveId, []);

    const again = await runCli(['clients', 'forget', victimSession.clientId, '--data', dataDir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /ERR_NOT_FOUND/);

    // The same static key comes back as a new client, with nothing of the old one.
    const reborn = await client(victimSession);
    const rebornId = reborn.session().clientId;
    assert.notEqual(rebornId, victimSession.clientId);
    const rebornGot = collect(reborn, 1);
    await app.publish({ to: rebornId, data: 'fresh' });
    assert.deepEqual((await rebornGot).map((m) => [m.seq, m.data]), [[1, 'fresh']]);

    // Everyone else is untouched.
    const bystanderGot = collect(bystander, 1);
    await app.publish({ to: bystanderId, data: 'still here' });
    assert.deepEqual((await bystanderGot).map((m) => m.data), ['still here']);
  });

  test('through DELETE /v1/clients/:id: only the owning app, its connection closes at once, its receipts go too', async () => {
    // An app with receipts on: the victim signs its ACKs, and the server keeps each receipt.
    const victim = await client(undefined, receiptsCreated.appId);
    const victimId = victim.session().clientId;
    const got = collect(victim, 2);
    const sent = [await receiptsApp.publish({ to: victimId, data: 'one' }), await receiptsApp.publish({ to: victimId, data: 'two' })];
    await got;
    const proof = await eventually(async () => receiptsApp.receipt(sent[1]!.id).catch(() => undefined), 'the signed receipt');
    assert.ok(proof.receipt.messages.some((m) => m.id === sent[1]!.id));
    const closed = once<{ code: number; willReconnect: boolean }>((fn) => victim.on('disconnected', fn));
    const material = await keyMaterial(victimId);
    assert.ok(material.receiptSignatures.length >= 1, 'the receipts are stored');

    await assert.rejects(otherApp.forgetClient(victimId), (err: SealPushError) => err.code === 'ERR_NOT_FOUND', 'another app: 404, never 403');
    assert.equal((await receiptsApp.client(victimId)).online, true, 'and nothing changed');

    const forgotten = await receiptsApp.forgetClient(victimId);
    assert.deepEqual({ ...forgotten, forgottenAt: typeof forgotten.forgottenAt }, {
      id: victimId, forgotten: true, messagesDeleted: 2, receiptsDeleted: material.receiptSignatures.length, forgottenAt: 'string', journalScrubbed: true,
    });
    assert.deepEqual(await within(closed, 'close of the connection').then((c) => [c.code, c.willReconnect]), [4508, false]);
    assertGoneFromDisk('victim', material);
    for (const { id } of sent) await assert.rejects(receiptsApp.receipt(id), (err: SealPushError) => err.code === 'ERR_NOT_FOUND');
    const db = new Database(dbPath(), { readonly: true });
    try {
      const orphans = db.prepare('SELECT COUNT(*) FROM ack_receipts WHERE client_no NOT IN (SELECT no FROM clients)').pluck().get();
      assert.equal(orphans, 0, 'no receipt outlives its client');
    } finally {
      db.close();
    }
    await assert.rejects(receiptsApp.forgetClient(victimId), (err: SealPushError) => err.code === 'ERR_NOT_FOUND');
  });
});
