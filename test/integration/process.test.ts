import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { collect } from '../helpers/messages.js';
import { exited, runCli, spawnServer } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';

describe('the sealpush command, as a real process', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test('admin commands work on the data dir with or without a server; files are private', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    assert.equal((await runCli(['init', '--data', dataDir])).code, 0);
    const created = await runCli(['apps', 'create', 'billing', '--json', '--data', dataDir]);
    assert.equal(created.code, 0, created.stderr);
    const app = JSON.parse(created.stdout) as { appId: string; secret: string };
    assert.match(app.appId, /^app_/);
    assert.match(app.secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'sealpush.db')).mode & 0o777, 0o600);

    const keys = await runCli(['keys', 'show', '--json', '--data', dataDir]);
    const shown = JSON.parse(keys.stdout) as { fingerprint: string; publicKey: string };
    assert.match(shown.publicKey, /^[A-Za-z0-9_-]{43}$/);

    const server = await spawnServer(dataDir);
    try {
      assert.equal(server.serverKey, shown.publicKey, 'serve and keys show agree on the identity');
      assert.ok(server.output().includes(shown.fingerprint));
      const second = await runCli(['apps', 'create', 'reports', '--data', dataDir]);
      assert.equal(second.code, 0, second.stderr);
      const list = JSON.parse((await runCli(['apps', 'list', '--json', '--data', dataDir])).stdout) as { appId: string; name: string }[];
      assert.deepEqual(list.map((a) => a.name).sort(), ['billing', 'reports']);
      assert.ok(!JSON.stringify(list).includes(app.secret), 'secrets are never listed');
      // The running server accepts the app created while it ran.
      const publisher = new SealPushApp({ url: server.url, appId: list.find((a) => a.name === 'reports')!.appId, secret: /secret: (\S+)/.exec(second.stdout)![1]! });
      await assert.rejects(publisher.status('nothing-here'), { code: 'ERR_NOT_FOUND' });
    } finally {
      server.child.kill('SIGTERM');
      assert.deepEqual(await exited(server.child), { code: 0, signal: null }, 'SIGTERM drains and exits cleanly');
    }
  });

  test('apps update switches delivery to cohort and back; bad options are refused and change nothing', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    assert.equal((await runCli(['init', '--data', dataDir])).code, 0);
    const { appId } = JSON.parse((await runCli(['apps', 'create', 'jobs', '--json', '--data', dataDir])).stdout) as { appId: string };
    const deliveryOf = async (): Promise<Record<string, unknown>> => {
      const list = JSON.parse((await runCli(['apps', 'list', '--json', '--data', dataDir])).stdout) as { appId: string; delivery: Record<string, unknown> }[];
      return list.find((a) => a.appId === appId)!.delivery;
    };
    assert.deepEqual(await deliveryOf(), { mode: 'direct' });

    const update = await runCli(['apps', 'update', appId, '--delivery', 'cohort', '--tick-ms', '250', '--cohort-size', '16', '--slot-counts', '4,16', '--json', '--data', dataDir]);
    assert.equal(update.code, 0, update.stderr);
    const cohort = { mode: 'cohort', tickMs: 250, cohortSize: 16, slotBytes: [256, 1024, 4096, 16384, 66048], slotCounts: [4, 16] };
    assert.deepEqual(JSON.parse(update.stdout), { appId, delivery: cohort, receipts: false });
    assert.deepEqual(await deliveryOf(), cohort);

    for (const [args, message] of [
      [['--delivery', 'cohort', '--tick-ms', '5'], /ERR_BAD_REQUEST: tickMs must be an integer from 50/],
      [['--delivery', 'cohort', '--cohort-size', '64'], /largest of slotCounts must be at least cohortSize/],
      [['--delivery', 'direct', '--tick-ms', '500'], /ERR_BAD_REQUEST: tickMs: options of cohort delivery/],
      [['--delivery', 'broadcast'], /delivery must be "direct" or "cohort"/],
      [['--delivery', 'cohort', '--slot-bytes', '256,x'], /expected a whole number/],
    ] as const) {
      const run = await runCli(['apps', 'update', appId, ...args, '--data', dataDir]);
      assert.notEqual(run.code, 0, args.join(' '));
      assert.match(run.stderr, message);
      assert.deepEqual(await deliveryOf(), cohort, `${args.join(' ')} changed nothing`);
    }
    const unknown = await runCli(['apps', 'update', 'app_nope', '--delivery', 'direct', '--data', dataDir]);
    assert.match(unknown.stderr, /ERR_NOT_FOUND/);

    const back = await runCli(['apps', 'update', appId, '--delivery', 'direct', '--data', dataDir]);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(await deliveryOf(), { mode: 'direct' });
  });

  test('the config file sets an app\'s delivery at serve; a bad value stops the start naming the app', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    assert.equal((await runCli(['init', '--data', dataDir])).code, 0);
    const { appId } = JSON.parse((await runCli(['apps', 'create', 'jobs', '--json', '--data', dataDir])).stdout) as { appId: string };
    const configFile = join(dataDir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ apps: { [appId]: { delivery: 'cohort', tickMs: 500 } } }));
    const server = await spawnServer(dataDir, { SEALPUSH_CONFIG: configFile });
    try {
      const list = JSON.parse((await runCli(['apps', 'list', '--json', '--data', dataDir])).stdout) as { appId: string; delivery: { mode: string; tickMs?: number } }[];
      assert.deepEqual(list.map((a) => [a.delivery.mode, a.delivery.tickMs]), [['cohort', 500]]);
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
    writeFileSync(configFile, JSON.stringify({ apps: { [appId]: { delivery: 'cohort', tickMs: 5 } } }));
    const bad = await runCli(['serve', '--port', '0', '--data', dataDir], { SEALPUSH_CONFIG: configFile });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, new RegExp(`config apps\\.${appId}: tickMs must be an integer from 50`));
    const after = JSON.parse((await runCli(['apps', 'list', '--json', '--data', dataDir])).stdout) as { delivery: { tickMs?: number } }[];
    assert.equal(after[0]!.delivery.tickMs, 500, 'the refused value changed nothing');
  });

  test('every command answers --help', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['apps', '--help'], ['apps', 'create', '--help'], ['apps', 'list', '--help'], ['apps', 'update', '--help'], ['apps', 'jwt-key', '--help'], ['keys', 'show', '--help']]) {
      const run = await runCli(args);
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stdout, /Usage: sealpush/);
    }
  });

  test('a bad configuration value stops the start with a message naming it', async () => {
    const run = await runCli(['serve', '--port', 'eighty', '--data', tempDir()]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /port/);
  });

  test('kill -9 right after a 202 loses nothing: the message is delivered after restart', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    assert.equal((await runCli(['init', '--data', dataDir])).code, 0);
    const app = JSON.parse((await runCli(['apps', 'create', 'crash', '--json', '--data', dataDir])).stdout) as { appId: string; secret: string };
    let server = await spawnServer(dataDir);
    const client = await connect({ url: server.url, appId: app.appId, serverKey: server.serverKey });
    const session = client.session();
    await client.close();

    const publisher = new SealPushApp({ url: server.url, appId: app.appId, secret: app.secret });
    const accepted = await publisher.publishBatch(Array.from({ length: 50 }, (_, i) => ({ to: session.clientId, data: { n: i } })));
    const last = await publisher.publish({ to: session.clientId, data: 'last' });
    server.child.kill('SIGKILL');
    assert.equal((await exited(server.child)).signal, 'SIGKILL');

    server = await spawnServer(dataDir);
    try {
      const resumed = await connect({ url: server.url, appId: app.appId, serverKey: server.serverKey, session });
      const received = await collect(resumed, 51);
      assert.deepEqual(received.map((m) => m.id), [...accepted.map((r) => ('id' in r ? r.id : 'refused')), last.id]);
      await resumed.close();
    } finally {
      server.child.kill('SIGKILL');
      await exited(server.child);
    }
  });
});
