import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { exited, runCli, spawnCli, spawnServer, type CliProcess, type ServerProcess } from '../helpers/process.js';
import { scratchDirs } from '../helpers/server.js';

interface Connected {
  event: 'connected';
  clientId: string;
  resumed: boolean;
}
interface Received {
  event: 'message';
  id: string;
  seq: number;
  data: unknown;
}

/** Issue 14 item 7: the quick start in two terminals, `sealpush listen` and `sealpush publish`, as real processes. */
describe('sealpush publish and sealpush listen against a running server', () => {
  const dirs = scratchDirs();
  const children: CliProcess[] = [];
  let server: ServerProcess | undefined;
  after(async () => {
    for (const cli of children) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    if (server) {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
    dirs.removeAll();
  });

  test('listen prints its client id and each message; a second run with the session resumes the same client', async () => {
    const dataDir = dirs.make();
    server = await spawnServer(dataDir);
    const created = await runCli(['--data', dataDir, 'apps', 'create', 'quickstart', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const app = JSON.parse(created.stdout) as { appId: string; secret: string };
    const publisher = { SEALPUSH_URL: server.url, SEALPUSH_APP_ID: app.appId, SEALPUSH_APP_SECRET: app.secret };
    const publish = (args: string[]) => runCli(['publish', ...args], publisher);
    const sessionFile = join(dataDir, 'listener-session.json');
    const listen = (env: Record<string, string> = {}): CliProcess => {
      const cli = spawnCli(['--data', dataDir, 'listen', '--url', server!.url, '--app', app.appId, '--session', sessionFile, '--json'], env);
      children.push(cli);
      return cli;
    };
    const stop = async (cli: CliProcess): Promise<void> => {
      cli.child.kill('SIGINT');
      assert.deepEqual(await exited(cli.child), { code: 0, signal: null }, `Ctrl-C closes cleanly:\n${cli.stderr()}`);
    };

    // No server key given: listen pins the one of the local data directory, and says so.
    const first = listen();
    const hello = JSON.parse(await first.line(/"event":"connected"/)) as Connected;
    assert.match(hello.clientId, /^c_/);
    assert.equal(hello.resumed, false);
    assert.match(first.stderr(), /pinning the server key of the local data directory/);
    assert.equal(statSync(sessionFile).mode & 0o777, 0o600, 'the session holds private keys');

    const sent = await publish([hello.clientId, '{"invoice": 42, "paid": true}', '--id', 'job-42', '--json']);
    assert.equal(sent.code, 0, sent.stderr);
    assert.deepEqual(JSON.parse(sent.stdout), { id: 'job-42', status: 'queued' });
    assert.ok(!`${sent.stdout}${sent.stderr}`.includes(app.secret), 'the secret is never printed');
    const got = JSON.parse(await first.line(/"id":"job-42"/)) as Received;
    assert.deepEqual(got.data, { invoice: 42, paid: true });

    // Bad JSON is refused before anything is sent: the next message the listener gets is seq + 1.
    const bad = await publish([hello.clientId, '{"invoice": 4']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ERR_BAD_REQUEST: the message is not valid JSON/);
    const text = await publish([hello.clientId, '"second"']);
    assert.equal(text.code, 0, text.stderr);
    const [id, status] = text.stdout.trim().split(' ');
    assert.equal(status, 'queued');
    const second = JSON.parse(await first.line(/"data":"second"/)) as Received;
    assert.equal(second.id, id);
    assert.equal(second.seq, got.seq + 1, 'the refused publish sent nothing');
    // Saved on every session event, not only at exit (a listener killed with -9 loses nothing it
    // printed): the save for job-42 came, in the listener, before it printed "second".
    const whileRunning = JSON.parse(readFileSync(sessionFile, 'utf8')) as { clientId: string; lastSeq: number };
    assert.ok(whileRunning.lastSeq >= got.seq, `lastSeq ${whileRunning.lastSeq} while running`);
    await stop(first);
    const saved = JSON.parse(readFileSync(sessionFile, 'utf8')) as { clientId: string; lastSeq: number };
    assert.equal(saved.clientId, hello.clientId);
    assert.equal(saved.lastSeq, second.seq);

    // The second run, with the key pinned from the environment, resumes and gets only what is new.
    const again = listen({ SEALPUSH_SERVER_KEY: server.serverKey });
    const back = JSON.parse(await again.line(/"event":"connected"/)) as Connected;
    assert.deepEqual(back, { event: 'connected', clientId: hello.clientId, resumed: true });
    assert.doesNotMatch(again.stderr(), /pinning the server key of the local data directory/);
    assert.equal((await publish([hello.clientId, '3', '--ttl', '60'])).code, 0);
    const third = JSON.parse(await again.line(/"event":"message"/)) as Received;
    assert.deepEqual([third.data, third.seq], [3, second.seq + 1], 'nothing handed over before is handed over again');
    await stop(again);
  });

  test('without credentials publish and listen refuse and say where to give them', async () => {
    const noApp = await runCli(['publish', 'c_x', '{}'], { SEALPUSH_APP_ID: '', SEALPUSH_APP_SECRET: '' });
    assert.equal(noApp.code, 2);
    assert.match(noApp.stderr, /--app APPID or set SEALPUSH_APP_ID/);
    const noSecret = await runCli(['publish', 'c_x', '{}', '--app', 'app_x', '--secret-env', 'MY_SECRET'], { MY_SECRET: '' });
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.stderr, /set MY_SECRET/);
    const missing = join(dirs.make(), 'nowhere');
    const noKey = await runCli(['--data', missing, 'listen', '--app', 'app_x'], { SEALPUSH_SERVER_KEY: '' });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /--server-key KEY or set SEALPUSH_SERVER_KEY/);
  });
});
