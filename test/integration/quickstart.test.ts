import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SealPushApp } from '../../src/app/index.js';
import { tempDir } from '../helpers/server.js';
import { QUICK_START, commandRun, runCommand, startCommand, type Watched } from '../helpers/quickstart.js';

/**
 * Issue 14 item 3: the README's Quick start as a newcomer runs it, every step a real process:
 * `sealpush serve` in a fresh directory, the admin commands in that same directory, then
 * examples/quickstart's client and back end. Only the port differs (0, not 8080), so each
 * example gets SEALPUSH_URL. The tests run in order, as the newcomer's terminals do.
 */
describe('the Quick start, run as the README says (examples/quickstart)', () => {
  const dir = tempDir('sealpush-quickstart-');
  const sessionFile = join(dir, 'quickstart-session.json');
  let serve: Watched;
  let url: string;
  let values: { appId: string; secret: string; publicKey: string };
  let clientId: string;
  /** The client that test 2 restarts and test 3 sees replaced. */
  let resumed: Watched;

  const startClient = (): Watched => startCommand(commandRun(QUICK_START.client, values), dir, { SEALPUSH_URL: url });
  const runBackend = (to: string, overrides: Partial<typeof values> = {}) =>
    runCommand(commandRun(QUICK_START.backend, { ...values, ...overrides, clientId: to }), dir, { SEALPUSH_URL: url });
  const printedClientId = async (client: Watched): Promise<string> => (await client.waitFor(/^client id: (\S+)$/m))[1]!;

  before(async () => {
    serve = startCommand(commandRun(QUICK_START.serve), dir, {}, ['--port', '0', '--log-level', 'warn']);
    url = (await serve.waitFor(/sealpush listening on (\S+)/))[1]!;
    const app = await runCommand(commandRun(QUICK_START.createApp), dir);
    assert.equal(app.code, 0, app.output);
    const key = await runCommand(commandRun(QUICK_START.showKey), dir);
    assert.equal(key.code, 0, key.output);
    const { appId, secret } = JSON.parse(app.stdout) as { appId: string; secret: string };
    values = { appId, secret, publicKey: (JSON.parse(key.stdout) as { publicKey: string }).publicKey };
    // "In the same directory": the admin commands used serve's data directory and its key.
    assert.ok(serve.output().includes(`server public key (serverKey): ${values.publicKey}`), serve.output());
  });
  after(async () => {
    resumed?.child.kill('SIGKILL');
    serve?.child.kill('SIGTERM');
    await serve?.exit();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the client prints its client id, then the message the back end publishes to it; Ctrl-C saves its session', async () => {
    const client = startClient();
    clientId = await printedClientId(client);
    assert.match(clientId, /^c_/);
    const published = await runBackend(clientId);
    assert.equal(published.code, 0, published.output);
    assert.match(published.stdout, new RegExp(`^published invoice-42-${clientId}: queued$`, 'm'));
    await client.waitFor(new RegExp(`^message invoice-42-${clientId}: \\{"invoice":42,"paid":true\\}$`, 'm'));

    client.child.kill('SIGINT');
    assert.equal((await client.exit()).code, 0, client.output());
    // Saved on the 'session' event that followed the message, not only once at connect.
    const saved = JSON.parse(readFileSync(sessionFile, 'utf8')) as { clientId: string; lastSeq: number };
    assert.deepEqual([saved.clientId, saved.lastSeq], [clientId, 1]);
    assert.equal(statSync(sessionFile).mode & 0o777, 0o600, 'the session holds private keys: owner only');
  });

  test('restarted, the client resumes the same client id and gets nothing twice; the back end again sends nothing', async () => {
    resumed = startClient();
    assert.equal(await printedClientId(resumed), clientId);
    const again = await runBackend(clientId);
    assert.equal(again.code, 0, again.output);
    // The same id answers the first message (its status may trail the ACK by markFlushMs, so
    // any); that nothing was sent again is what the client shows next.
    assert.match(again.stdout, new RegExp(`^published invoice-42-${clientId}: (queued|delivered|acked)$`, 'm'));
    // Delivery is in order: had the first message come again, it would be printed before this one.
    const sealpush = new SealPushApp({ url, appId: values.appId, secret: values.secret });
    await sealpush.publish({ to: clientId, data: { after: 'restart' }, id: 'after-restart' });
    await resumed.waitFor(/^message after-restart: \{"after":"restart"\}$/m);
    assert.doesNotMatch(resumed.output(), /invoice-42/);
  });

  test('a second client on the same session takes it over: the first stops for good, says why, and exits 1', async () => {
    const second = startClient();
    assert.equal(await printedClientId(second), clientId);
    assert.equal((await resumed.exit()).code, 1, resumed.output());
    assert.match(resumed.output(), /ERR_SESSION_REPLACED/);
    second.child.kill('SIGINT');
    assert.equal((await second.exit()).code, 0, second.output());
  });

  test('a missing setting, a wrong server key or an unknown client id gets a clear error', async () => {
    const noKey = await runCommand(commandRun(QUICK_START.client, { ...values, publicKey: '' }), dir, { SEALPUSH_URL: url });
    assert.equal(noKey.code, 2, noKey.output);
    assert.match(noKey.output, /SEALPUSH_SERVER_KEY is not set: .*`npx sealpush keys show --json`/);
    const noSecret = await runBackend(clientId, { secret: '' });
    assert.equal(noSecret.code, 2, noSecret.output);
    assert.match(noSecret.output, /SEALPUSH_APP_SECRET is not set: .*`npx sealpush apps create my-app --json`/);
    const noClient = await runBackend('');
    assert.equal(noClient.code, 2, noClient.output);
    assert.match(noClient.output, /usage: node backend\.mjs CLIENT_ID/);

    const unknown = await runBackend('c_nobody');
    assert.equal(unknown.code, 1, unknown.output);
    assert.match(unknown.output, /publish failed: ERR_NOT_FOUND/);
    const otherKey = values.secret; // 43 characters of base64url, as a key is, but not this server's
    const wrongKey = await runCommand(commandRun(QUICK_START.client, { ...values, publicKey: otherKey }), dir, { SEALPUSH_URL: url });
    assert.equal(wrongKey.code, 1, wrongKey.output);
    assert.match(wrongKey.output, /cannot connect to .*ERR_HANDSHAKE/);
  });
});
