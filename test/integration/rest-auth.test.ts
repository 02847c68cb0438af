import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { connect } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Signs requests by hand (independently of the app SDK) against the real server, to show
 * that what the API documents is what it enforces.
 */
describe('signed REST requests on the real server', () => {
  let server: TestServer;
  let clientId: string;

  before(async () => {
    // Many refusals from 127.0.0.1 by design: lift the failed-auth budget per address
    // (refusal-limits.test.ts tests it), so each answer is judged on its own credentials.
    server = await startTestServer({ limits: { failedAuthsPerSecondPerIp: 10_000 } });
    const c = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    clientId = c.clientId;
    await c.close();
  });
  after(() => server.close());

  interface Signed {
    method: string;
    path: string;
    body?: string;
    ts?: number;
    nonce?: string;
    secret?: string;
    appId?: string;
  }

  function authorization(req: Signed): string {
    const ts = req.ts ?? Math.floor(Date.now() / 1000);
    const nonce = req.nonce ?? randomBytes(16).toString('base64url');
    const bodyHash = createHash('sha256').update(req.body ?? '').digest('hex');
    const canonical = `${req.method}\n${req.path}\n${ts}\n${nonce}\n${bodyHash}`;
    const key = Buffer.from(req.secret ?? server.app.secret, 'base64url');
    const sig = createHmac('sha256', key).update(canonical).digest('base64url');
    return `SEALPUSH-HMAC-SHA256 app=${req.appId ?? server.app.appId},ts=${ts},nonce=${nonce},sig=${sig}`;
  }

  async function send(req: Signed, header = authorization(req)): Promise<{ status: number; body: { error?: { code: string; message: string } } & Record<string, unknown> }> {
    const response = await fetch(server.url + req.path, {
      method: req.method,
      headers: { authorization: header, ...(req.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: req.body,
    });
    return { status: response.status, body: (await response.json()) as never };
  }

  const publish = (): Signed => ({ method: 'POST', path: '/v1/messages', body: JSON.stringify({ to: clientId, data: { ok: 1 } }) });

  test('a correctly signed publish is accepted with 202', async () => {
    const res = await send(publish());
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'queued');
  });

  test('the same request sent twice is refused the second time as a replay', async () => {
    const req = { ...publish(), nonce: randomBytes(16).toString('base64url') };
    const header = authorization(req);
    assert.equal((await send(req, header)).status, 202);
    const replay = await send(req, header);
    assert.deepEqual([replay.status, replay.body.error?.code], [401, 'ERR_AUTH_REPLAY']);
  });

  test('a stale or future timestamp is refused as expired', async () => {
    // 310, not 301: the server reads its clock a moment later, and a second that ticks over in
    // between would bring +301 back inside the 300 s window (seen on a loaded machine).
    for (const skew of [-310, 310]) {
      const res = await send({ ...publish(), ts: Math.floor(Date.now() / 1000) + skew });
      assert.deepEqual([res.status, res.body.error?.code], [401, 'ERR_AUTH_EXPIRED']);
    }
  });

  test('a forged signature, a wrong secret, a changed body or an unknown app is refused', async () => {
    const req = publish();
    const header = authorization(req);
    const tampered = { ...req, body: req.body!.replace('"ok":1', '"ok":2') };
    const cases = [
      await send(tampered, header),
      await send({ ...req, secret: randomBytes(32).toString('base64url') }),
      await send({ ...req, appId: 'app_doesnotexist00' }),
      await send(req, header.replace(/sig=.{5}/, 'sig=AAAAA')),
    ];
    for (const res of cases) assert.deepEqual([res.status, res.body.error?.code], [401, 'ERR_AUTH_SIGNATURE']);
  });

  test('no or a malformed Authorization header is refused', async () => {
    for (const header of ['', 'Bearer abc', 'SEALPUSH-HMAC-SHA256 app=x']) {
      const res = await send(publish(), header);
      assert.deepEqual([res.status, res.body.error?.code], [401, 'ERR_AUTH_MISSING']);
    }
  });

  test('bad input gets a catalogue error and changes nothing', async () => {
    const before = await send({ method: 'GET', path: `/v1/clients/${clientId}` });
    const cases: [Signed, number, string][] = [
      [{ method: 'POST', path: '/v1/messages', body: '{"to":' }, 400, 'ERR_BAD_REQUEST'],
      [{ method: 'POST', path: '/v1/messages', body: '[]' }, 400, 'ERR_BAD_REQUEST'],
      [{ method: 'POST', path: '/v1/messages', body: JSON.stringify({ to: clientId }) }, 400, 'ERR_BAD_REQUEST'],
      [{ method: 'POST', path: '/v1/messages', body: JSON.stringify({ to: clientId, data: 1, ttl: 'soon' }) }, 400, 'ERR_BAD_REQUEST'],
      [{ method: 'POST', path: '/v1/messages', body: JSON.stringify({ to: clientId, data: 1, extra: true }) }, 400, 'ERR_BAD_REQUEST'],
      [{ method: 'POST', path: '/v1/messages', body: JSON.stringify({ to: clientId, data: 'x'.repeat(70_000) }) }, 413, 'ERR_TOO_LARGE'],
      [{ method: 'POST', path: '/v1/messages/batch', body: JSON.stringify({ messages: [] }) }, 400, 'ERR_BAD_REQUEST'],
      [{ method: 'POST', path: '/v1/messages', body: JSON.stringify({ to: 'nobody-at-all-0000000000', data: 1 }) }, 404, 'ERR_NOT_FOUND'],
      [{ method: 'GET', path: '/v1/messages/unknown-id' }, 404, 'ERR_NOT_FOUND'],
    ];
    for (const [req, status, code] of cases) {
      const res = await send(req);
      assert.deepEqual([res.status, res.body.error?.code], [status, code], `${req.method} ${req.path} ${req.body?.slice(0, 40)}`);
      assert.equal(typeof res.body.error?.message, 'string');
    }
    const afterwards = await send({ method: 'GET', path: `/v1/clients/${clientId}` });
    assert.equal(afterwards.body.pending, before.body.pending, 'no refused message was stored');
  });
});
