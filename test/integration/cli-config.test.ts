import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/process.js';
import { scratchDirs } from '../helpers/server.js';

/** The process env of these runs: no SEALPUSH_* setting of the test's own environment leaks in. */
const CLEAN = { SEALPUSH_CONFIG: '', SEALPUSH_STORE: '', SEALPUSH_MASTER_KEY: '', SEALPUSH_REDIS: '', SEALPUSH_PORT: '', SEALPUSH_DATA_DIR: '' };

/** Issue 14 item 7: `sealpush config init|check|show` (Centrifugo's genconfig and checkconfig). */
describe('sealpush config', () => {
  const dirs = scratchDirs();
  after(() => dirs.removeAll());
  const scratch = dirs.make;

  test('init writes every default (0600), check accepts it, and init never overwrites without --force', async () => {
    const file = join(scratch(), 'sealpush.json');
    const init = await runCli(['config', 'init', file, '--json'], CLEAN);
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(JSON.parse(init.stdout), { file });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const written = JSON.parse(readFileSync(file, 'utf8')) as { port: number; limits: { maxFrameBytes: number }; audit: { checkpointEverySeconds: number } };
    assert.equal(written.port, 8080);
    assert.equal(typeof written.limits.maxFrameBytes, 'number', 'complete: the limits are spelled out too');
    assert.equal(written.audit.checkpointEverySeconds, 60);

    const check = await runCli(['config', 'check', file], CLEAN);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(check.stdout, `${file}: valid\n`);
    assert.equal((await runCli(['--config', file, 'config', 'check', '--json'], CLEAN)).stdout.includes('"valid": true'), true);

    writeFileSync(file, '{"port": 1}');
    const refused = await runCli(['config', 'init', file], CLEAN);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /exists; nothing was written \(--force replaces it\)/);
    assert.equal(readFileSync(file, 'utf8'), '{"port": 1}');
    assert.equal((await runCli(['config', 'init', file, '--force'], CLEAN)).code, 0);
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { port: number }).port, 8080);
  });

  test('check refuses a broken file with the error serve would give, and exits 2', async () => {
    const dir = scratch();
    const cases: [string, RegExp][] = [
      ['{"port": "eighty", "limits": {"maxFrameBytes": -1}}', /port: Expected number, received string[\s\S]*limits\.maxFrameBytes: Number must be greater than 0/],
      ['{"prot": 8080}', /Unrecognized key\(s\) in object: 'prot'/],
      ['{"port": 8080,}', /Cannot read config file/],
      ['{"store": "mysql://u:hunter2@db"}', /store: no database name/],
      ['{"masterKey": hunter2}', /Cannot read config file .*: Unexpected token 'h' \(not valid JSON\)/],
    ];
    for (const [text, expected] of cases) {
      const file = join(dir, 'broken.json');
      writeFileSync(file, text);
      const run = await runCli(['config', 'check', file], CLEAN);
      assert.equal(run.code, 2, text);
      assert.match(run.stderr, expected);
      assert.ok(!run.stderr.includes('hunter2'), 'a password in the file is not echoed');
    }
    const missing = await runCli(['config', 'check', join(dir, 'absent.json')], CLEAN);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read config file/);
    // The environment is not part of the file: a bad variable does not fail a good file.
    const good = join(dir, 'good.json');
    writeFileSync(good, '{"port": 9000}');
    assert.equal((await runCli(['config', 'check', good], { ...CLEAN, SEALPUSH_PORT: 'nope' })).code, 0);
  });

  test('show is the effective configuration (defaults < file < environment < flags) with every secret masked', async () => {
    const dir = scratch();
    const file = join(dir, 'sealpush.json');
    writeFileSync(file, JSON.stringify({ port: 9000, host: '127.0.0.2', logLevel: 'debug', dataDir: join(dir, 'from-file') }));
    const masterKey = 'a'.repeat(64);
    const run = await runCli(['--config', file, '--data', join(dir, 'from-flag'), 'config', 'show'], {
      ...CLEAN,
      SEALPUSH_PORT: '9100',
      SEALPUSH_STORE: 'mysql://sealpush:s3cr3t-pw@db.internal:3306/sealpush',
      SEALPUSH_MASTER_KEY: masterKey,
      SEALPUSH_REDIS: 'redis://default:r3dis-pw@cache:6379/0',
    });
    assert.equal(run.code, 0, run.stderr);
    const shown = JSON.parse(run.stdout) as Record<string, unknown> & { limits: Record<string, unknown> };
    assert.equal(shown.host, '127.0.0.2', 'the file over the default');
    assert.equal(shown.logLevel, 'debug');
    assert.equal(shown.port, 9100, 'the environment over the file');
    assert.equal(shown.dataDir, join(dir, 'from-flag'), 'the flag over the file');
    assert.equal(shown.durability, 'full', 'defaults fill the rest');
    assert.equal(typeof shown.limits.maxConnections, 'number');
    assert.equal(shown.store, 'mysql://sealpush:***@db.internal:3306/sealpush');
    assert.equal(shown.masterKey, '***');
    assert.equal(shown.redis, 'redis://default:***@cache:6379/0');
    for (const secret of ['s3cr3t-pw', masterKey, 'r3dis-pw']) assert.ok(!`${run.stdout}${run.stderr}`.includes(secret), `${secret} is masked`);
    assert.equal(existsSync(join(dir, 'from-flag')), false, 'show creates nothing');
  });
});
