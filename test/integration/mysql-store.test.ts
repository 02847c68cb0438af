import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import { connect } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { MYSQL_SCHEMA_VERSION } from '../../src/drivers/store/mysql/schema.js';
import { collect } from '../helpers/messages.js';
import { freshDatabase, type TestDatabase } from '../helpers/mysql.js';
import { exited, runCli, spawnServer } from '../helpers/process.js';
import { mysqlMissing } from '../helpers/requirements.js';
import { eventually, tempDir } from '../helpers/server.js';

const missing = mysqlMissing();

describe('sealpush on MySQL (SEALPUSH_STORE), as real processes', { skip: missing }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  async function database(): Promise<TestDatabase> {
    const db = await freshDatabase();
    cleanups.push(() => db.drop());
    return db;
  }
  function dataDir(): string {
    const dir = tempDir();
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
  const versions = async (db: TestDatabase): Promise<number[]> =>
    ((await db.query('SELECT version FROM schema_migrations ORDER BY version')) as { version: number }[]).map((r) => Number(r.version));

  test('migrate: two at once on a fresh database both succeed and apply the schema once; again applies nothing', async () => {
    const db = await database();
    const env = { SEALPUSH_STORE: db.url };
    const dir = dataDir();
    // The test holds the migration lock first, so both runs must be seen waiting on it.
    const holder = await createConnection({ uri: db.url });
    cleanups.push(() => holder.end());
    await holder.query('CREATE TABLE schema_lock (id TINYINT NOT NULL PRIMARY KEY) ENGINE=InnoDB');
    await holder.query('INSERT INTO schema_lock (id) VALUES (1)');
    await holder.query('START TRANSACTION');
    await holder.query('SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE');
    const running = Promise.all([runCli(['migrate', '--data', dir], env), runCli(['migrate', '--data', dir], env)]);
    await eventually(async () => {
      const [rows] = await holder.query(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'SELECT id FROM schema_lock%FOR UPDATE'", [db.name]);
      return Number((rows as { n: number }[])[0]!.n) === 2 ? true : undefined;
    }, 'both migrations waiting on the lock');
    assert.deepEqual(await versions(db), [], 'nothing is applied while another holds the lock');
    await holder.query('COMMIT');
    const runs = await running;
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const applying = runs.flatMap((run) => run.stdout.split('\n').filter((line) => line.startsWith('applying ')));
    assert.equal(applying.length, MYSQL_SCHEMA_VERSION, `each migration applied by one of them only: ${applying.join('; ')}`);
    assert.deepEqual(await versions(db), Array.from({ length: MYSQL_SCHEMA_VERSION }, (_, i) => i + 1));
    const again = await runCli(['migrate', '--json', '--data', dir], env);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { driver: 'mysql', location: db.url, from: MYSQL_SCHEMA_VERSION, to: MYSQL_SCHEMA_VERSION, applied: [] });
    assert.deepEqual(await versions(db), Array.from({ length: MYSQL_SCHEMA_VERSION }, (_, i) => i + 1));
  });

  test('serve refuses a schema that is behind (run migrate) and one that is ahead (an older build); the password is never shown', async () => {
    const db = await database();
    const withPassword = new URL(db.url);
    withPassword.password = 'not-the-real-one';
    const behind = await runCli(['serve', '--port', '0', '--data', dataDir()], { SEALPUSH_STORE: db.url });
    assert.notEqual(behind.code, 0);
    assert.match(behind.stderr, /schema is at version 0, this build needs \d+: run `sealpush migrate`/);

    assert.equal((await runCli(['migrate', '--data', dataDir()], { SEALPUSH_STORE: db.url })).code, 0);
    await db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [MYSQL_SCHEMA_VERSION + 1, 'from a newer build', 0]);
    const ahead = await runCli(['serve', '--port', '0', '--data', dataDir()], { SEALPUSH_STORE: db.url });
    assert.notEqual(ahead.code, 0);
    assert.match(ahead.stderr, /newer than this build knows .*older/);
    const migrateAhead = await runCli(['migrate', '--data', dataDir()], { SEALPUSH_STORE: db.url });
    assert.notEqual(migrateAhead.code, 0, 'migrate never downgrades');

    const refused = await runCli(['serve', '--port', '0', '--data', dataDir()], { SEALPUSH_STORE: withPassword.href });
    assert.notEqual(refused.code, 0);
    assert.ok(!`${refused.stdout}${refused.stderr}`.includes('not-the-real-one'), refused.stderr);
    const badUrl = await runCli(['serve', '--port', '0', '--data', dataDir()], { SEALPUSH_STORE: 'mysql://u:hunter2@db.example' });
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /store: no database name .*mysql:\/\/u:\*\*\*@db\.example/);
    assert.ok(!badUrl.stderr.includes('hunter2'));
  });

  test('end to end: a client connects, messages are published, delivered and acked; after a restart it resumes the rest', async () => {
    const db = await database();
    const env = { SEALPUSH_STORE: db.url };
    const dir = dataDir();
    assert.equal((await runCli(['init', '--data', dir], env)).code, 0);
    const app = JSON.parse((await runCli(['apps', 'create', 'on-mysql', '--json', '--data', dir], env)).stdout) as { appId: string; secret: string };
    let server = await spawnServer(dir, env);
    try {
      assert.match(server.output(), new RegExp(`store: ${db.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      const publisher = new SealPushApp({ url: server.url, appId: app.appId, secret: app.secret });
      const client = await connect({ url: server.url, appId: app.appId, serverKey: server.serverKey });
      const session = client.session();
      const first = collect(client, 3);
      const sent = await publisher.publishBatch([1, 2, 3].map((n) => ({ to: session.clientId, data: { n } })));
      const ids = sent.map((r) => ('id' in r ? r.id : 'refused'));
      assert.deepEqual((await first).map((m) => m.data), [{ n: 1 }, { n: 2 }, { n: 3 }]);
      await eventually(async () => ((await Promise.all(ids.map((id) => publisher.status(id)))).every((s) => s.status === 'acked') ? true : undefined), 'three acked');
      await client.close();

      // Published while the client is away, then the node restarts (kill -9: nothing is lost).
      const later = await publisher.publishBatch([4, 5].map((n) => ({ to: session.clientId, data: { n } })));
      server.child.kill('SIGKILL');
      await exited(server.child);
      server = await spawnServer(dir, env);
      const resumed = await connect({ url: server.url, appId: app.appId, serverKey: server.serverKey, session });
      const rest = await collect(resumed, 2);
      assert.deepEqual(rest.map((m) => m.id), later.map((r) => ('id' in r ? r.id : 'refused')), 'only the unacked ones, in order');
      const afterRestart = new SealPushApp({ url: server.url, appId: app.appId, secret: app.secret });
      await eventually(async () => ((await afterRestart.status(rest[1]!.id)).status === 'acked' ? true : undefined), 'resumed ones acked');
      await resumed.close();
      const stored = (await db.query('SELECT COUNT(*) AS n FROM messages')) as { n: number }[];
      assert.equal(Number(stored[0]!.n), 5, 'the messages live in MySQL');
      assert.equal((await db.query('SELECT id FROM clients')).length, 1);
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
  });
});

describe('sealpush migrate on SQLite (no MySQL needed)', () => {
  test('applies the SQLite migrations and says so; again, nothing; --help answers', async () => {
    const dir = tempDir();
    try {
      const first = await runCli(['migrate', '--json', '--data', dir]);
      assert.equal(first.code, 0, first.stderr);
      const report = JSON.parse(first.stdout) as { driver: string; from: number; to: number; applied: { version: number }[] };
      assert.equal(report.driver, 'sqlite');
      assert.equal(report.from, 0);
      assert.ok(report.to >= 9);
      assert.deepEqual(report.applied.map((m) => m.version), Array.from({ length: report.applied.length }, (_, i) => report.applied[0]!.version + i));
      const again = await runCli(['migrate', '--data', dir]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /sqlite store .*schema already at version \d+, nothing to apply \(SQLite applies its migrations itself/);
      const help = await runCli(['migrate', '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Usage: sealpush migrate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
