/**
 * `sealpush serve` warns once, at start, when the master key file sits in the data directory
 * with the SQLite database and the node listens on an address others can reach; not on
 * loopback, and not when the key is kept elsewhere (SEALPUSH_MASTER_KEY, or
 * SEALPUSH_MASTER_KEY_FILE outside the data directory). The warning names both paths and
 * never the key. Real processes: the warning is what an operator reads in the log.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { exited, spawnServer, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';

/** The plain-HTTP, non-loopback bind a node behind a TLS-terminating proxy uses (docs/security.md). */
const REACHABLE = { SEALPUSH_HOST: '0.0.0.0', SEALPUSH_ALLOW_INSECURE: '1' };
const WARNING = /the master key file sits in the data directory with the database it protects/;

describe('serve: the master key beside the database on a reachable address', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** Runs a node until it listens, then stops it; resolves with its whole output. */
  async function startAndStop(dataDir: string, env: Record<string, string>): Promise<string> {
    const server: ServerProcess = await spawnServer(dataDir, { SEALPUSH_MASTER_KEY: '', SEALPUSH_MASTER_KEY_FILE: '', ...env });
    server.child.kill('SIGTERM');
    await exited(server.child);
    return server.output();
  }

  function dir(): string {
    const d = tempDir();
    cleanups.push(async () => rmSync(d, { recursive: true, force: true }));
    return d;
  }

  test('the default layout on 0.0.0.0: one warning naming both paths, never the key', async () => {
    const dataDir = dir();
    const output = await startAndStop(dataDir, REACHABLE);
    const warnings = output.split('\n').filter((line) => WARNING.test(line));
    assert.equal(warnings.length, 1, output);
    const entry = JSON.parse(warnings[0]!) as { level: number; masterKeyFile: string; database: string; host: string };
    assert.deepEqual([entry.level, entry.masterKeyFile, entry.database, entry.host], [40, join(dataDir, 'master.key'), join(dataDir, 'sealpush.db'), '0.0.0.0']);
    assert.match(warnings[0]!, /SEALPUSH_MASTER_KEY_FILE/);
    const keyFile = JSON.parse(readFileSync(join(dataDir, 'master.key'), 'utf8')) as { keys: Record<string, string> };
    for (const key of Object.values(keyFile.keys)) {
      for (const form of [key, Buffer.from(key, 'base64url').toString('hex'), Buffer.from(key, 'base64url').toString('base64')]) {
        assert.equal(output.includes(form), false, 'the output never holds the key');
      }
    }
  });

  test('no warning on loopback, with SEALPUSH_MASTER_KEY, or with the key file outside the data directory', async () => {
    assert.doesNotMatch(await startAndStop(dir(), { SEALPUSH_HOST: '127.0.0.1' }), WARNING, 'loopback');
    assert.doesNotMatch(await startAndStop(dir(), { ...REACHABLE, SEALPUSH_MASTER_KEY: randomBytes(32).toString('base64url') }), WARNING, 'environment key');
    const keyFile = join(dir(), 'keys', 'master.key');
    const output = await startAndStop(dir(), { ...REACHABLE, SEALPUSH_MASTER_KEY_FILE: keyFile });
    assert.doesNotMatch(output, WARNING, 'key file elsewhere');
    assert.ok(readFileSync(keyFile).length > 0, 'the key was created where SEALPUSH_MASTER_KEY_FILE says');
  });
});
