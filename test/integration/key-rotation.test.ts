import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pino from 'pino';
import { parseConfig } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { connect, type SealPushClient } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { collect } from '../helpers/messages.js';
import { exited, runCli, spawnServer, type ServerProcess } from '../helpers/process.js';
import { createApp, tempDir } from '../helpers/server.js';

/** The master key version every wrapped blob in the database names, by column. */
function blobVersions(dataDir: string): { apps: number[]; serverKeys: number[]; jwt: number[] } {
  const db = new Database(join(dataDir, 'sealpush.db'), { readonly: true });
  try {
    const versions = (sql: string) => (db.prepare(sql).pluck().all() as Buffer[]).map((blob) => blob.readUInt32BE(1));
    return {
      apps: versions('SELECT wrapped_secret FROM apps ORDER BY id'),
      serverKeys: versions('SELECT wrapped_secret FROM server_keys ORDER BY purpose, version'),
      jwt: versions("SELECT key_material FROM app_jwt_keys WHERE alg = 'HS256' ORDER BY issuer, kid"),
    };
  } finally {
    db.close();
  }
}

function keyFile(dataDir: string): { keys: string[]; retiring?: number[] } {
  const doc = JSON.parse(readFileSync(join(dataDir, 'master.key'), 'utf8')) as { keys: Record<string, string>; retiring?: number[] };
  return { keys: Object.keys(doc.keys), ...(doc.retiring ? { retiring: doc.retiring } : {}) };
}

/** The admin audit records of the database, their fields parsed. */
function adminRecords(dataDir: string): Record<string, unknown>[] {
  const db = new Database(join(dataDir, 'sealpush.db'), { readonly: true });
  try {
    return (db.prepare("SELECT fields FROM audit_log WHERE kind = 'admin' ORDER BY seq").pluck().all() as string[]).map((f) => JSON.parse(f) as Record<string, unknown>);
  } finally {
    db.close();
  }
}

const allOf = (versions: { apps: number[]; serverKeys: number[]; jwt: number[] }) => Object.values(versions).flat();

describe('sealpush keys rotate: a new master key version, every wrapped blob moved onto it, online', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test('while a server runs and publishes continue: old secrets verify during and after, everything ends on the new version', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    // Admin work in-process, as `sealpush apps ...` does it (fewer processes to start).
    const apps = [await createApp(dataDir, 'one'), await createApp(dataDir, 'two'), await createApp(dataDir, 'three')];
    const core = await openCore(parseConfig({ dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
    try {
      await core.apps.addJwtKey(apps[0]!.appId, { issuer: 'iss', kid: 'k1', alg: 'HS256' });
    } finally {
      await core.close();
    }

    let server: ServerProcess = await spawnServer(dataDir);
    const clients: SealPushClient[] = [];
    try {
      const publishers = apps.map((a) => new SealPushApp({ url: server.url, appId: a.appId, secret: a.secret }));
      for (const a of apps) clients.push(await connect({ url: server.url, appId: a.appId, serverKey: server.serverKey }));
      assert.deepEqual(allOf(blobVersions(dataDir)).filter((v) => v !== 1), [], 'before: all on version 1');

      let publishing = true;
      let published = 0;
      const loop = (async () => {
        while (publishing) {
          for (const [i, publisher] of publishers.entries()) {
            await publisher.publish({ to: clients[i]!.clientId, data: published });
            published++;
          }
        }
      })();
      const [rotated] = await Promise.all([
        runCli(['keys', 'rotate', '--batch-size', '1', '--data', dataDir]),
        createApp(dataDir, 'created-meanwhile'),
      ]);
      publishing = false;
      await loop;
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(rotated.stdout, /^master key version 2: re-wrapped \d+ blobs, retired version 1\n$/);
      assert.ok(published > 0);

      const after = blobVersions(dataDir);
      assert.equal(after.apps.length, 4);
      assert.equal(after.jwt.length, 1);
      assert.deepEqual([...new Set(allOf(after))], [2], `every blob names version 2: ${JSON.stringify(after)}`);
      assert.deepEqual(keyFile(dataDir), { keys: ['2'] }, 'version 1 is retired from the key file');
      assert.ok(!existsSync(join(dataDir, 'master.key.lock')));

      // The running server opens a blob naming version 2, which it did not hold when it started.
      const added = await createApp(dataDir, 'after-rotation');
      const addedClient = await connect({ url: server.url, appId: added.appId, serverKey: server.serverKey });
      clients.push(addedClient);
      const got = collect(addedClient, 1);
      await new SealPushApp({ url: server.url, appId: added.appId, secret: added.secret }).publish({ to: addedClient.clientId, data: 'v2' });
      assert.deepEqual((await got).map((m) => m.data), ['v2']);

      // A restarted server holds version 2 only: the old secrets still verify, the identity is the same.
      for (const client of clients.splice(0)) await client.close();
      server.child.kill('SIGTERM');
      await exited(server.child);
      const before = server.serverKey;
      server = await spawnServer(dataDir);
      assert.equal(server.serverKey, before);
      for (const a of apps) {
        const client = await connect({ url: server.url, appId: a.appId, serverKey: server.serverKey });
        clients.push(client);
        await new SealPushApp({ url: server.url, appId: a.appId, secret: a.secret }).publish({ to: client.clientId, data: 'after restart' });
      }
    } finally {
      for (const client of clients) await client.close();
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
  });

  test('killed half-way, a second run finishes the job without another version', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) await createApp(dataDir, name);
    const killed = await runCli(['keys', 'rotate', '--batch-size', '1', '--data', dataDir], { SEALPUSH_TEST_ROTATE_KILL_AFTER: '3' });
    assert.notEqual(killed.code, 0, 'the run was killed');
    assert.deepEqual(keyFile(dataDir), { keys: ['1', '2'], retiring: [1] }, 'the rotation state survived');
    assert.deepEqual(blobVersions(dataDir).apps.sort(), [1, 1, 1, 2, 2, 2]);

    const resumed = await runCli(['keys', 'rotate', '--json', '--data', dataDir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(JSON.parse(resumed.stdout), { version: 2, addedVersion: false, rewrapped: 3, retired: [1] });
    assert.deepEqual(keyFile(dataDir), { keys: ['2'] }, 'exactly one new version');
    assert.deepEqual([...new Set(blobVersions(dataDir).apps)], [2]);
    const rotations = adminRecords(dataDir).filter((r) => r.action === 'keys.rotate');
    assert.deepEqual(rotations, [{ action: 'keys.rotate', version: 2, rewrapped: 3, retired: '1' }], 'the finished run is in the audit log, the killed one is not');
  });

  test('an environment master key is refused with how to rotate, and nothing changes', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const env = { SEALPUSH_MASTER_KEY: randomBytes(32).toString('hex') };
    assert.equal((await runCli(['init', '--data', dataDir], env)).code, 0);
    assert.equal((await runCli(['apps', 'create', 'x', '--data', dataDir], env)).code, 0);
    const refused = await runCli(['keys', 'rotate', '--data', dataDir], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /SEALPUSH_MASTER_KEY holds one key \(version 1\) and cannot be rotated by writing a file\. To rotate: .*master\.key/);
    assert.ok(!existsSync(join(dataDir, 'master.key')));
    assert.deepEqual(blobVersions(dataDir).apps, [1]);
  });
});
