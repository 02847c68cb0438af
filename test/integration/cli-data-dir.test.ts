import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { exited, runCli, spawnServer } from '../helpers/process.js';
import { scratchDirs } from '../helpers/server.js';

/** Issue 14 items 1 and 2: only serve and init create state; one node per SQLite dir; a failed start exits. */
describe('the data directory, as the sealpush command uses it', () => {
  const dirs = scratchDirs();
  after(() => dirs.removeAll());
  const scratch = dirs.make;
  const refusedNaming = (run: { code: number; stderr: string }, where: string): void => {
    assert.equal(run.code, 2, run.stderr);
    assert.ok(run.stderr.includes(where), `names ${where}: ${run.stderr}`);
    assert.match(run.stderr, /--data DIR/);
    assert.match(run.stderr, /SEALPUSH_DATA_DIR/);
  };

  test('an admin command on a missing data directory refuses, names it, and creates nothing', async () => {
    const missing = join(scratch(), 'elsewhere', 'sealpush-data');
    for (const args of [['apps', 'create', 'x'], ['keys', 'show'], ['apps', 'list', '--json'], ['audit', 'verify'], ['migrate']]) {
      refusedNaming(await runCli(['--data', missing, ...args]), missing);
      refusedNaming(await runCli(args, { SEALPUSH_DATA_DIR: missing }), missing);
    }
    assert.equal(existsSync(join(missing, '..')), false, 'nothing was created');
  });

  test('an existing directory without a database is refused and left empty', async () => {
    const empty = scratch();
    refusedNaming(await runCli(['--data', empty, 'apps', 'create', 'x', '--json']), join(empty, 'sealpush.db'));
    assert.deepEqual(readdirSync(empty), []);
  });

  test('a missing master key file is never replaced by a new one, with SQLite or MySQL', async () => {
    const dataDir = scratch();
    assert.equal((await runCli(['--data', dataDir, 'init'])).code, 0);
    unlinkSync(join(dataDir, 'master.key'));
    refusedNaming(await runCli(['--data', dataDir, 'keys', 'show']), join(dataDir, 'master.key'));
    assert.equal(existsSync(join(dataDir, 'master.key')), false);
    // With MySQL the SQLite rule does not apply, the key rule does: refused before any connection.
    const keyDir = join(scratch(), 'keys');
    const mysql = await runCli(['apps', 'list'], { SEALPUSH_STORE: 'mysql://u:p@127.0.0.1:1/none', SEALPUSH_MASTER_KEY_FILE: join(keyDir, 'master.key') });
    refusedNaming(mysql, join(keyDir, 'master.key'));
    assert.equal(existsSync(keyDir), false);
  });

  test('init creates the directory, database, master key and server key once; commands then name what they used', async () => {
    const dataDir = join(scratch(), 'data');
    const first = await runCli(['--data', dataDir, 'init', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const made = JSON.parse(first.stdout) as { dataDir: string; created: Record<string, boolean>; serverKey: string };
    assert.equal(made.dataDir, dataDir);
    assert.deepEqual(made.created, { dataDir: true, database: true, masterKeyFile: true });
    const again = JSON.parse((await runCli(['--data', dataDir, 'init', '--json'])).stdout) as typeof made;
    assert.deepEqual(again.created, { dataDir: false, database: false, masterKeyFile: false });
    assert.equal(again.serverKey, made.serverKey, 'init is idempotent: the same server key');

    const created = await runCli(['--data', dataDir, 'apps', 'create', 'billing', '--json']);
    assert.equal(created.code, 0, created.stderr);
    assert.match((JSON.parse(created.stdout) as { appId: string }).appId, /^app_/, 'stdout stays valid JSON');
    assert.ok(created.stderr.includes(`data directory ${dataDir}`), created.stderr);
    const shown = await runCli(['--data', dataDir, 'keys', 'show', '--json']);
    assert.equal((JSON.parse(shown.stdout) as { publicKey: string }).publicKey, made.serverKey);
  });

  test('a second serve on one SQLite data directory refuses while the first runs; the lock dies with it', async () => {
    const dataDir = scratch();
    const first = await spawnServer(dataDir);
    let second: Awaited<ReturnType<typeof spawnServer>> | undefined;
    try {
      await assert.rejects(spawnServer(dataDir), (err: Error) => {
        assert.match(err.message, /exited with 2/);
        assert.ok(err.message.includes(`pid ${first.child.pid}`), err.message);
        assert.ok(err.message.includes(dataDir), err.message);
        return true;
      });
      const listed = await runCli(['--data', dataDir, 'apps', 'list', '--json']);
      assert.equal(listed.code, 0, `admin commands still work while serve runs: ${listed.stderr}`);
      first.child.kill('SIGKILL');
      await exited(first.child);
      second = await spawnServer(dataDir);
      assert.equal(second.serverKey, first.serverKey);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGTERM');
      if (second) await exited(second.child);
    }
  });

  test('serve on a port another process holds exits non-zero at once with a hint', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const port = (holder.address() as { port: number }).port;
      const run = await runCli(['--data', scratch(), 'serve', '--port', String(port), '--log-level', 'warn']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stderr, /EADDRINUSE/);
      assert.match(run.stderr, /--port PORT or SEALPUSH_PORT/);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
