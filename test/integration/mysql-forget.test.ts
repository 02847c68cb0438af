/**
 * Forgetting on MySQL, as real processes: the receipts index migration finishes after an
 * interrupted run, and DELETE /v1/clients/:id and `sealpush clients forget` report
 * `journalScrubbed: false` (InnoDB keeps old row images in its logs; docs/forget.md).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { freshDatabase } from '../helpers/mysql.js';
import { exited, runCli, spawnServer } from '../helpers/process.js';
import { mysqlMissing } from '../helpers/requirements.js';
import { tempDir } from '../helpers/server.js';

const missing = mysqlMissing();

describe('clients forget on MySQL, as real processes', { skip: missing }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('a migration interrupted after its index is finished by the next migrate; REST and CLI report journalScrubbed false', async () => {
    const db = await freshDatabase();
    cleanups.push(() => db.drop());
    const dataDir = tempDir();
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env = { SEALPUSH_STORE: db.url };
    assert.equal((await runCli(['migrate', '--data', dataDir], env)).code, 0);
    // As if the run died between migration 2's CREATE INDEX and recording its version (later
    // migrations, each as tolerant of being run again, never recorded either).
    const later = (await db.query('SELECT version FROM schema_migrations WHERE version >= 2 ORDER BY version')) as { version: number }[];
    assert.equal(later[0]?.version, 2);
    await db.query('DELETE FROM schema_migrations WHERE version >= 2');
    const rerun = await runCli(['migrate', '--json', '--data', dataDir], env);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(
      (JSON.parse(rerun.stdout) as { applied: { version: number }[] }).applied.map((m) => m.version),
      later.map((m) => m.version),
    );

    assert.equal((await runCli(['init', '--data', dataDir], env)).code, 0);
    const created = await runCli(['apps', 'create', 'forget-on-mysql', '--json', '--data', dataDir], env);
    assert.equal(created.code, 0, created.stderr);
    const { appId, secret } = JSON.parse(created.stdout) as { appId: string; secret: string };
    const server = await spawnServer(dataDir, env);
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      await exited(server.child);
    });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await connect({ url: server.url, appId, serverKey: server.serverKey, reconnect: false });
      ids.push(c.clientId);
      await c.close();
    }
    const app = new SealPushApp({ url: server.url, appId, secret });
    await app.publish({ to: ids[0]!, data: 'pending' });

    const forgotten = await app.forgetClient(ids[0]!);
    assert.deepEqual([forgotten.messagesDeleted, forgotten.receiptsDeleted, forgotten.journalScrubbed], [1, 0, false]);
    const cli = await runCli(['clients', 'forget', ids[1]!, '--json', '--data', dataDir], env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((JSON.parse(cli.stdout) as { journalScrubbed: boolean }).journalScrubbed, false);
  });
});
