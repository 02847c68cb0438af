import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from '../../src/client/index.js';
import { clientPool, collect } from '../helpers/messages.js';
import { runCli } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Sends one request with curl (a real HTTP client, not the SDK); resolves with the status and the body. */
function curl(url: string, method: string, authorization: string, body?: string): Promise<{ status: number; body: unknown }> {
  const args = ['-sS', '-X', method, url, '-H', `Authorization: ${authorization}`, '-w', '\n%{http_code}'];
  if (body !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', body);
  const child = spawn('/usr/bin/curl', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', () => {
      const cut = out.lastIndexOf('\n');
      resolve({ status: Number(out.slice(cut + 1)), body: JSON.parse(out.slice(0, cut)) as unknown });
    });
  });
}

/** Issue 14 item 7: `sealpush sign` prints the header curl needs; the request it signs is accepted, once. */
describe('sealpush sign, used with curl', () => {
  let server: TestServer;
  let env: Record<string, string>;
  const pool = clientPool(connect, () => server);
  before(async () => {
    // The refusals below are about each request, not the failed-auth budget of 127.0.0.1.
    server = await startTestServer({ limits: { failedAuthsPerSecondPerIp: 10_000 } });
    env = { SEALPUSH_APP_ID: server.app.appId, SEALPUSH_APP_SECRET: server.app.secret };
  });
  after(async () => {
    await pool.closeAll();
    await server.close();
  });
  const sign = async (...args: string[]): Promise<string> => {
    const run = await runCli(['sign', ...args], env);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!run.stdout.includes(server.app.secret) && !run.stderr.includes(server.app.secret), 'the secret is never printed');
    return run.stdout.trim();
  };

  test('a signed POST is accepted (202) and delivered; a signed GET reads its status; each header works once', async () => {
    const client = await pool.client();
    const arrived = collect(client, 1);
    const body = JSON.stringify({ to: client.clientId, data: { via: 'curl' }, id: 'curl-1' });
    const authorization = await sign('POST', '/v1/messages', body);
    assert.match(authorization, /^SEALPUSH-HMAC-SHA256 app=app_[^,]+,ts=\d+,nonce=[A-Za-z0-9_-]+,sig=[A-Za-z0-9_-]{43}$/);
    const posted = await curl(`${server.url}/v1/messages`, 'POST', authorization, body);
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    assert.deepEqual(posted.body, { id: 'curl-1', status: 'queued' });
    assert.deepEqual((await arrived)[0]!.data, { via: 'curl' });

    const read = await curl(`${server.url}/v1/messages/curl-1`, 'GET', await sign('get', '/v1/messages/curl-1'));
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal((read.body as { to: string }).to, client.clientId);

    const again = await curl(`${server.url}/v1/messages`, 'POST', authorization, body);
    assert.equal(again.status, 401);
    assert.equal((again.body as { error: { code: string } }).error.code, 'ERR_AUTH_REPLAY', 'a printed header is good for one request');
  });

  test('the signature covers the body: a header for other bytes is refused', async () => {
    const client = await pool.client();
    const body = JSON.stringify({ to: client.clientId, data: 1 });
    const other = await sign('POST', '/v1/messages', JSON.stringify({ to: client.clientId, data: 2 }));
    const refused = await curl(`${server.url}/v1/messages`, 'POST', other, body);
    assert.equal(refused.status, 401);
    assert.equal((refused.body as { error: { code: string } }).error.code, 'ERR_AUTH_SIGNATURE');
  });

  test('--json gives the header and how long it is good for; bad arguments are refused before signing', async () => {
    const run = await runCli(['sign', 'DELETE', '/v1/clients/c_x', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const shown = JSON.parse(run.stdout) as { authorization: string; method: string; path: string; validUntil: string };
    assert.deepEqual([shown.method, shown.path], ['DELETE', '/v1/clients/c_x']);
    assert.match(shown.authorization, /^SEALPUSH-HMAC-SHA256 /);
    const ts = Number(/ts=(\d+)/.exec(shown.authorization)![1]);
    assert.equal(Date.parse(shown.validUntil), (ts + 300) * 1000);

    assert.equal((await runCli(['sign', 'PUT', '/v1/messages'], env)).code, 1);
    assert.equal((await runCli(['sign', 'POST', 'v1/messages'], env)).code, 1);
    const getWithBody = await runCli(['sign', 'GET', '/v1/messages/x', '{}'], env);
    assert.equal(getWithBody.code, 1);
    assert.match(getWithBody.stderr, /a GET request has no body/);
    const badSecret = await runCli(['sign', 'GET', '/v1/messages/x'], { ...env, SEALPUSH_APP_SECRET: 'not-a-secret' });
    assert.equal(badSecret.code, 1);
    assert.match(badSecret.stderr, /SEALPUSH_APP_SECRET: an app secret is 32 bytes/);
    assert.ok(!badSecret.stderr.includes('not-a-secret'), 'not even a wrong secret is echoed');
  });
});
