/**
 * Issue 14 item 7 (part B), on a real server with the CLI as another process, as an operator
 * runs it: `apps rotate-secret` (both secrets verify during the overlap, only the new one
 * after), `apps delete` (refused without --yes; then credentials, clients and data are gone),
 * and the read-only `clients list|show` and `messages show` (never a key or a payload).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type SealPushClient } from '../../src/client/index.js';
import { SealPushApp, type SealPushError } from '../../src/app/index.js';
import { once } from '../helpers/messages.js';
import { runCli } from '../helpers/process.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

describe('apps rotate-secret, apps delete, clients list|show, messages show', () => {
  let server: TestServer;
  const open: SealPushClient[] = [];

  // Waiting for a change to reach the server (it reads apps at most once a second) costs
  // refused requests from 127.0.0.1: the failed-auth budget is lifted for them.
  before(async () => (server = await startTestServer({ limits: { failedAuthsPerSecondPerIp: 10_000, registrationsPerSecondPerApp: 1000 } })));
  after(async () => {
    for (const c of open) await c.close();
    await server.close();
  });

  const cli = async (...args: string[]) => runCli(['--data', server.dataDir, ...args]);
  const cliJson = async <T>(...args: string[]): Promise<T> => {
    const run = await cli(...args, '--json');
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as T;
  };
  async function client(appId: string): Promise<SealPushClient> {
    const c = await connect({ url: server.url, appId, serverKey: server.identity.publicKey });
    c.on('error', () => {});
    open.push(c);
    return c;
  }
  /** The HTTP outcome of a publish signed with `secret`: 'accepted' (202) or the error code. */
  const publishWith = async (appId: string, secret: string, to: string): Promise<string> =>
    new SealPushApp({ url: server.url, appId, secret }).publish({ to, data: 'x' }).then(
      () => 'accepted',
      (err: SealPushError) => err.code,
    );
  const untilOutcome = (appId: string, secret: string, to: string, expected: string) =>
    eventually(async () => ((await publishWith(appId, secret, to)) === expected ? true : undefined), `a publish to answer ${expected}`);

  test('rotate-secret: old and new secret both verify during the overlap; after a 0-hour rotation only the newest does', async () => {
    const created = await cliJson<{ appId: string; secret: string }>('apps', 'create', 'rotating');
    const { appId, secret: first } = created;
    const to = (await client(appId)).session().clientId;
    assert.equal(await publishWith(appId, first, to), 'accepted');

    const rotated = await cliJson<{ appId: string; secret: string; previousSecretValidUntil: string }>('apps', 'rotate-secret', appId, '--overlap-hours', '2');
    assert.equal(rotated.appId, appId);
    assert.notEqual(rotated.secret, first);
    const until = Date.parse(rotated.previousSecretValidUntil) - Date.now();
    assert.ok(until > 7_100_000 && until <= 7_200_000, `the old secret ends in about 2 h: ${rotated.previousSecretValidUntil}`);
    await untilOutcome(appId, rotated.secret, to, 'accepted');
    assert.equal(await publishWith(appId, first, to), 'accepted', 'the old secret still verifies during the overlap');

    const again = await cliJson<{ secret: string }>('apps', 'rotate-secret', appId, '--overlap-hours', '0');
    await untilOutcome(appId, again.secret, to, 'accepted');
    assert.equal(await publishWith(appId, rotated.secret, to), 'ERR_AUTH_SIGNATURE', 'no overlap: the replaced secret is refused at once');
    assert.equal(await publishWith(appId, first, to), 'ERR_AUTH_SIGNATURE', 'the first secret was dropped by the second rotation');

    const text = await cli('apps', 'rotate-secret', appId);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /secret: [A-Za-z0-9_-]{43}\n/);
    assert.match(text.stdout, /old secret keeps working until \d{4}-/);
    const bad = await cli('apps', 'rotate-secret', appId, '--overlap-hours', '721');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ERR_BAD_REQUEST: the overlap must be 0 to 720 hours/);
    const unknown = await cli('apps', 'rotate-secret', 'app_nope');
    assert.match(unknown.stderr, /ERR_NOT_FOUND/);

    const audit = await cli('audit', 'verify', '--json');
    assert.equal(audit.code, 0, audit.stderr);
  });

  test('clients list|show and messages show: the store\'s view, never a key or a payload', async () => {
    const { appId, secret } = await cliJson<{ appId: string; secret: string }>('apps', 'create', 'listed');
    const first = (await client(appId)).session();
    const second = (await client(appId)).session();
    const publisher = new SealPushApp({ url: server.url, appId, secret });
    const marker = 'payload-marker-7c1e';
    // Published to an id no connection holds: it stays pending.
    const offline = await connect({ url: server.url, appId, serverKey: server.identity.publicKey });
    const offlineId = offline.session().clientId;
    await offline.close();
    const sent = await publisher.publish({ to: offlineId, data: marker });

    type Summary = { id: string; appId: string; createdAt: string; lastSeen: string | null; pending: number; lastSeq: number; ackedSeq: number };
    const listed = await cliJson<Summary[]>('clients', 'list', '--app', appId);
    assert.deepEqual(listed.map((c) => c.id).sort(), [first.clientId, second.clientId, offlineId].sort());
    assert.deepEqual(Object.keys(listed[0]!).sort(), ['ackedSeq', 'appId', 'createdAt', 'id', 'lastSeen', 'lastSeq', 'pending']);
    assert.deepEqual(await cliJson<Summary[]>('clients', 'list', '--app', appId, '--limit', '1').then((rows) => rows.length), 1);

    const shown = await cliJson<Summary>('clients', 'show', offlineId);
    assert.deepEqual([shown.id, shown.appId, shown.pending, shown.lastSeq, shown.ackedSeq], [offlineId, appId, 1, 1, 0]);
    const text = await cli('clients', 'show', offlineId);
    assert.match(text.stdout, new RegExp(`client ${offlineId}\\n  app: +${appId}\\n`));
    assert.match(text.stdout, /pending: +1\n/);

    // Generated ids start with "-" (sortable time): taken as the id all the same, before or after options.
    assert.match(sent.id, /^-/);
    const message = await cliJson<Record<string, unknown>>('messages', 'show', sent.id);
    assert.deepEqual(message, { appId, ...(await publisher.status(sent.id)) }, 'as GET /v1/messages/:id shows it, with its app');
    const messageText = await cli('messages', 'show', '--app', appId, sent.id);
    assert.match(messageText.stdout, new RegExp(`message ${sent.id} of app ${appId}\\n  to: +${offlineId}\\n  status: +queued\\n`));

    for (const run of [text, messageText, await cli('clients', 'list', '--json'), await cli('messages', 'show', '--json', '--', sent.id)]) {
      assert.ok(!run.stdout.includes(marker) && !run.stdout.includes(Buffer.from(JSON.stringify(marker)).toString('base64url')), 'no payload');
      assert.doesNotMatch(run.stdout, /key|salt|secret/i, 'no key of any kind');
    }
    const missing = await cli('messages', 'show', 'no-such-message');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ERR_NOT_FOUND: No message "no-such-message"/);
    assert.match((await cli('clients', 'show', 'cl_nope')).stderr, /ERR_NOT_FOUND/);
    assert.match((await cli('clients', 'list', '--limit', '0')).stderr, /expected a whole number/);
  });

  test('apps delete: refused without --yes; then its credentials get ERR_AUTH_*, its clients are closed and refused, its data is gone', async () => {
    const { appId, secret } = await cliJson<{ appId: string; secret: string }>('apps', 'create', 'doomed');
    const bystander = await cliJson<{ appId: string; secret: string }>('apps', 'create', 'bystander');
    const live = await client(appId);
    const liveId = live.session().clientId;
    const other = (await client(bystander.appId)).session().clientId;
    const sent = await new SealPushApp({ url: server.url, appId, secret }).publish({ to: liveId, data: 'before' });
    const kept = await new SealPushApp({ url: server.url, appId: bystander.appId, secret: bystander.secret }).publish({ to: other, data: 'kept' });

    const refused = await cli('apps', 'delete', appId);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /pass --yes/);
    assert.equal(await publishWith(appId, secret, liveId), 'accepted', 'nothing was deleted');

    const closed = once<{ code: number; willReconnect: boolean }>((fn) => live.on('disconnected', fn));
    const report = await cliJson<Record<string, unknown>>('apps', 'delete', appId, '--yes');
    assert.deepEqual(report, { appId, name: 'doomed', clients: 1, messagesDeleted: 2, receiptsDeleted: 0, jwtKeysDeleted: 0, journalScrubbed: report.journalScrubbed });
    assert.deepEqual(await closed, { code: 4508, reason: (await closed as { reason?: string }).reason, willReconnect: false }, 'the live client is closed as forgotten');

    await untilOutcome(appId, secret, liveId, 'ERR_AUTH_SIGNATURE');
    await assert.rejects(connect({ url: server.url, appId, serverKey: server.identity.publicKey }), 'a new handshake of the app is refused');
    assert.match((await cli('clients', 'show', liveId)).stderr, /ERR_NOT_FOUND/);
    assert.match((await cli('messages', 'show', sent.id, '--app', appId)).stderr, /ERR_NOT_FOUND: No app/);
    assert.deepEqual((await cliJson<{ appId: string }[]>('apps', 'list')).map((a) => a.appId).includes(appId), false);
    assert.equal((await cliJson<{ status: string }>('messages', 'show', kept.id)).status !== undefined, true, "the bystander app's message is kept");
    assert.match((await cli('apps', 'delete', appId, '--yes')).stderr, /ERR_NOT_FOUND/);
    const audit = await cli('audit', 'verify', '--json');
    assert.equal(audit.code, 0, audit.stderr);
  });
});
