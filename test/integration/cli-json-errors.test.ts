import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/process.js';
import { scratchDirs, startTestServer, type TestServer } from '../helpers/server.js';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The last line of stderr as the JSON error (lines before it say which data directory a command used). */
function jsonError(stderr: string): { code: string; message: string } {
  const last = stderr.trimEnd().split('\n').at(-1)!;
  const parsed = JSON.parse(last) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(parsed), ['error']);
  assert.deepEqual(Object.keys(parsed.error), ['code', 'message']);
  return parsed.error;
}

/** Issue 14 item 7: `sealpush --version`, and under --json every command's error as one JSON line on stderr. */
describe('sealpush --version and errors under --json', () => {
  let server: TestServer;
  const dirs = scratchDirs();
  before(async () => {
    server = await startTestServer({ limits: { failedAuthsPerSecondPerIp: 10_000 } });
  });
  after(async () => {
    await server.close();
    dirs.removeAll();
  });

  test('--version and version print package.json\'s version', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `${manifest.version}\n`);
    }
    const json = await runCli(['version', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), { version: manifest.version, node: process.versions.node });
    assert.match((await runCli(['version'])).stdout, new RegExp(`^sealpush ${manifest.version.replaceAll('.', '\\.')} \\(Node `));
  });

  test('each kind of failure: the same exit code with and without --json, one JSON error line with it', async () => {
    const dir = dirs.make();
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"port": "x"}');
    const app = { SEALPUSH_URL: server.url, SEALPUSH_APP_ID: server.app.appId, SEALPUSH_APP_SECRET: server.app.secret };
    const cases: { args: string[]; env?: Record<string, string>; exit: number; code: string; message: RegExp }[] = [
      { args: ['no-such-command'], exit: 1, code: 'ERR_USAGE', message: /unknown command 'no-such-command'/ },
      { args: ['sign', 'PUT', '/v1/messages'], env: app, exit: 1, code: 'ERR_USAGE', message: /METHOD must be GET, POST or DELETE/ },
      { args: ['--data', join(dir, 'absent'), 'keys', 'show'], exit: 2, code: 'ERR_CONFIG', message: /^no sealpush data in / },
      { args: ['config', 'check', broken], exit: 2, code: 'ERR_CONFIG', message: /port: Expected number/ },
      { args: ['publish', 'c_x', '{nope'], env: app, exit: 1, code: 'ERR_BAD_REQUEST', message: /not valid JSON/ },
      { args: ['publish', 'c_nobody', '{}'], env: app, exit: 1, code: 'ERR_NOT_FOUND', message: /./ },
      { args: ['publish', 'c_x', '{}'], env: { ...app, SEALPUSH_APP_SECRET: server.app.secret.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }, exit: 1, code: 'ERR_AUTH_SIGNATURE', message: /./ },
      { args: ['listen', '--server-key', 'short'], env: app, exit: 1, code: 'ERR_BAD_REQUEST', message: /serverKey must be base64url of 32 bytes/ },
      { args: ['listen', '--server-key', randomBytes(32).toString('base64url')], env: app, exit: 1, code: 'ERR_HANDSHAKE', message: /./ },
    ];
    for (const { args, env, exit, code, message } of cases) {
      const text = await runCli(args, env);
      assert.equal(text.code, exit, `${args.join(' ')}: ${text.stderr}`);
      assert.throws(() => JSON.parse(text.stderr.trimEnd().split('\n').at(-1)!), `${args.join(' ')}: text without --json`);
      const json = await runCli([...args, '--json'], env);
      assert.equal(json.code, exit, `${args.join(' ')} --json: ${json.stderr}`);
      const error = jsonError(json.stderr);
      assert.equal(error.code, code, `${args.join(' ')}: ${json.stderr}`);
      assert.match(error.message, message);
      assert.equal(json.stdout, '', 'nothing on stdout');
      assert.ok(!json.stderr.includes(server.app.secret), 'no secret in an error');
    }
  });
});
