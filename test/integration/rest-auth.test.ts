import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { connect } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { bindingClaims, mintToken, sendBearer } from '../helpers/jwt.js';

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
      // One character off, the first or the last: the comparison covers every byte.
      await send(req, authorization(req).replace(/sig=(.)/, (_, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`)),
      await send(req, authorization(req).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))),
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

  // What each refusal says: a caller signing by hand learns which part to fix.
  test('a malformed Authorization header is refused with a message naming the part at fault', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sig = 'A'.repeat(43);
    const nonce = randomBytes(16).toString('base64url');
    const app = server.app.appId;
    const cases: [string, RegExp][] = [
      ['', /No Authorization header/],
      [`SEALPUSH-HMAC-SHA256 app=${app},ts=${now},nonce=short,sig=${sig}`, /`nonce` parameter is not 22-128 base64url characters/],
      [`SEALPUSH-HMAC-SHA256 app=${app},ts=${now},nonce=${nonce}`, /lacks the `sig` parameter/],
      [`SEALPUSH-HMAC-SHA256 app=${app},ts=${now},nonce=${nonce},sig=${'A'.repeat(42)}+/=`, /`sig` parameter is not 43 base64url characters/],
      [`SEALPUSH-HMAC-SHA256 app=${app},ts=${now}000,nonce=${nonce},sig=${sig}`, /`ts` parameter is not the time in whole Unix seconds/],
      [`SEALPUSH-HMAC-SHA256 app=${app},ts=${now},ts=${now},nonce=${nonce},sig=${sig}`, /gives the `ts` parameter twice/],
      [`HMAC app=${app}`, /does not start with `SEALPUSH-HMAC-SHA256 `/],
      ['Bearer not-a-jwt', /not a compact JWT/],
      ['Bearer sp_admin_x_y', /admin token is a credential for \/v1\/admin only/],
    ];
    for (const [header, message] of cases) {
      const res = await send(publish(), header);
      assert.deepEqual([res.status, res.body.error?.code], [401, 'ERR_AUTH_MISSING'], header);
      assert.match(res.body.error!.message, message, header);
    }
    // A secret pasted where the header's values go is never echoed back.
    const pasted = await send(publish(), `SEALPUSH-HMAC-SHA256 ${server.app.secret}`);
    assert.equal(pasted.body.error?.code, 'ERR_AUTH_MISSING');
    assert.ok(!pasted.body.error!.message.includes(server.app.secret), 'the message quotes the secret');
  });

  test('an expired timestamp is told the server time and the skew in seconds', async () => {
    for (const [offset, direction] of [[-412, 'behind'], [412, 'ahead']] as const) {
      const ts = Math.floor(Date.now() / 1000) + offset;
      const res = await send({ ...publish(), ts });
      assert.equal(res.body.error?.code, 'ERR_AUTH_EXPIRED');
      const told = /server time (\S+) \((\d+)\), your `ts` (\d+) is (\d+) s (behind|ahead); allowed ±300 s/.exec(res.body.error!.message);
      assert.ok(told, res.body.error!.message);
      const [, iso, serverSeconds, echoedTs, skew, said] = told;
      assert.equal(Number(echoedTs), ts);
      assert.equal(said, direction);
      assert.equal(Math.abs(Number(serverSeconds) - ts), Number(skew), 'the skew is the distance from the server time');
      assert.equal(Date.parse(iso!) / 1000, Number(serverSeconds), 'the ISO time and the Unix seconds agree');
      assert.ok(Math.abs(Number(serverSeconds) - Math.floor(Date.now() / 1000)) <= 5, 'the server time is the server clock');
    }
  });

  test('a wrong secret is told the exact string the signature covers and that the key is the decoded secret', async () => {
    const target = `/v1/clients/${clientId}?probe=1`;
    const ts = Math.floor(Date.now() / 1000);
    const nonce = randomBytes(16).toString('base64url');
    const req: Signed = { method: 'GET', path: target, ts, nonce };
    const wrongSecret = await send({ ...req, secret: randomBytes(32).toString('base64url') });
    assert.equal(wrongSecret.body.error?.code, 'ERR_AUTH_SIGNATURE');
    const message = wrongSecret.body.error!.message;
    const covered = `GET\n${target}\n${ts}\n${nonce}\n${createHash('sha256').update('').digest('hex')}`;
    assert.ok(message.includes(JSON.stringify(covered)), message);
    assert.match(message, /the 32 bytes the app secret decodes to \(base64url-decode it; not its text\)/);
    // Neither the secret nor the signature that would have verified is given away.
    const rightSig = /sig=(.*)$/.exec(authorization(req))![1]!;
    for (const secret of [server.app.secret, rightSig]) assert.ok(!message.includes(secret));
    // An unknown app reads exactly like a wrong secret: app ids do not leak.
    const unknownApp = await send({ ...req, nonce, appId: 'app_doesnotexist00' });
    assert.deepEqual(unknownApp.body.error, wrongSecret.body.error);
  });

  test('a bearer token under no registered key is told where keys come from', async () => {
    const request = { method: 'GET', path: `/v1/clients/${clientId}` } as const;
    const token = await mintToken(randomBytes(32), 'HS256', 'k-unknown', { iss: 'billing', ...bindingClaims(request) });
    const res = await sendBearer(server.url, token, request);
    assert.deepEqual([res.status, res.code], [401, 'ERR_AUTH_SIGNATURE']);
    assert.match((res.body.error as { message: string }).message, /no key is registered \(`sealpush apps jwt-key`\) for its `iss` and `kid`/);
  });
});
