// An app manages its own webhook endpoints over the signed REST routes (`/v1/webhooks`), on a
// real server over real SQLite: through the SDK, by hand-signed HTTP and with a bearer token;
// never another app's endpoints; bad input refused with its catalogue code, changing nothing;
// unsigned and replayed requests refused; each change audited as the app's; no secret listed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { SealPushApp, isSealPushError, type ErrorCode } from '../../src/app/index.js';
import { RequestSigner } from '../../src/app/signing.js';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { parseConfig } from '../../src/config.js';
import { openCore, type Core } from '../../src/compose/core.js';
import { base64urlDecode } from '../../src/crypto/encoding.js';
import { WebhookAdmin } from '../../src/domain/usecases/webhook-endpoints.js';
import { collect } from '../helpers/messages.js';
import { mintToken } from '../helpers/jwt.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';
import type { CreatedApp } from '../../src/domain/usecases/apps.js';

/** Private, so every send is refused before connecting: its events fail without a receiver. */
const UNREACHABLE = 'https://127.0.0.1:9/hooks';

describe('webhook endpoints over the signed REST API', () => {
  let server: TestServer;
  let other: CreatedApp;
  let app: SealPushApp;
  let otherApp: SealPushApp;
  let signer: RequestSigner;

  async function withCore<T>(fn: (core: Core) => Promise<T>): Promise<T> {
    const core = await openCore(parseConfig({ dataDir: server.dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
    try {
      return await fn(core);
    } finally {
      await core.close();
    }
  }

  /** The `webhooks.*` admin records, oldest first. */
  const webhookAudit = (): Promise<Record<string, unknown>[]> =>
    withCore(async (core) =>
      (await core.store.auditRecords(0, 10_000))
        .filter((r) => r.kind === 'admin')
        .map((r) => JSON.parse(r.fields) as Record<string, unknown>)
        .filter((f) => String(f.action).startsWith('webhooks.')),
    );

  /** Sends a request signed by hand with the first app's secret (or `authorization`, as given). */
  async function send(method: 'GET' | 'POST' | 'DELETE', path: string, body?: string, authorization?: string) {
    const bytes = new TextEncoder().encode(body ?? '');
    const header = authorization ?? (await signer.authorization({ method, pathWithQuery: path, body: bytes }));
    const response = await fetch(server.url + path, {
      method,
      headers: { authorization: header, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text) as Record<string, unknown> & { error?: { code: string } } };
  }

  async function refusal(promise: Promise<unknown>): Promise<ErrorCode> {
    try {
      await promise;
    } catch (err) {
      assert.ok(isSealPushError(err), String(err));
      return err.code;
    }
    assert.fail('expected a refusal');
  }

  before(async () => {
    server = await startTestServer({ limits: { failedAuthsPerSecondPerIp: 10_000 }, webhooks: { pollMs: 50, retryPeriodSeconds: 1 } });
    other = await server.createApp('other');
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
    otherApp = new SealPushApp({ url: server.url, appId: other.appId, secret: other.secret });
    signer = new RequestSigner(server.app.appId, server.app.secret);
  });
  after(() => server.close());

  test('the SDK adds, lists, rotates and removes an endpoint; the list never shows a secret', async () => {
    const added = await app.addWebhook({ url: 'https://hooks.example.com/sealpush', events: ['delivered', 'acked'], batch: true });
    assert.match(added.id, /^whep_/);
    assert.match(added.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.deepEqual([added.appId, added.url, added.events, added.batch, added.state], [server.app.appId, 'https://hooks.example.com/sealpush', ['message.delivered', 'message.acked'], true, 'active']);

    const listed = await send('GET', '/v1/webhooks');
    assert.equal(listed.status, 200);
    assert.deepEqual((await app.webhooks()).map((e) => e.id), [added.id]);
    assert.ok(!listed.text.includes(added.secret.slice(6, 30)) && !listed.text.includes('whsec_') && !listed.text.includes('"secret"'), 'no secret in the list');

    const rotated = await app.rotateWebhookSecret(added.id, { overlapHours: 2 });
    assert.notEqual(rotated.secret, added.secret);
    const until = Date.parse(rotated.previousSecretUntil ?? '');
    assert.ok(Math.abs(until - (Date.now() + 2 * 3600_000)) < 60_000, `previousSecretUntil ${rotated.previousSecretUntil}`);
    const again = await send('GET', '/v1/webhooks');
    assert.ok(!again.text.includes(rotated.secret.slice(6, 30)) && !again.text.includes('"secret"'), 'no secret in the list after a rotation');

    await app.removeWebhook(added.id);
    assert.deepEqual(await app.webhooks(), []);
    assert.equal(await refusal(app.removeWebhook(added.id)), 'ERR_NOT_FOUND');
  });

  test('each route by hand-signed HTTP, with the status and shape openapi.json documents', async () => {
    const created = await send('POST', '/v1/webhooks', JSON.stringify({ url: 'https://hooks.example.com/raw' }));
    assert.equal(created.status, 201, created.text);
    const id = created.json.id as string;
    assert.deepEqual(created.json.events, ['message.acked', 'message.expired'], 'the default events');
    assert.equal(created.json.batch, false);
    const list = await send('GET', '/v1/webhooks');
    assert.deepEqual([list.status, (list.json.endpoints as { id: string }[]).map((e) => e.id)], [200, [id]]);
    const rotated = await send('POST', `/v1/webhooks/${id}/rotate-secret`, '{}');
    assert.deepEqual([rotated.status, typeof rotated.json.secret, typeof rotated.json.previousSecretUntil], [200, 'string', 'string'], 'default overlap 24 h');
    const failed = await send('GET', '/v1/webhooks/failed?limit=5');
    assert.deepEqual([failed.status, failed.json.failed], [200, []]);
    const retried = await send('POST', '/v1/webhooks/retry', JSON.stringify({ endpointId: id }));
    assert.deepEqual([retried.status, retried.json], [200, { requeued: 0 }]);
    const removed = await send('DELETE', `/v1/webhooks/${id}`);
    assert.deepEqual([removed.status, removed.json], [200, { removed: id }]);
  });

  test('a bearer token manages the endpoints of its own app', async () => {
    const secret = await withCore(async (core) => (await core.apps.addJwtKey(server.app.appId, { issuer: 'ops', kid: 'h1', alg: 'HS256' })).secret!);
    const bearer = new SealPushApp({
      url: server.url,
      appId: server.app.appId,
      bearerToken: (claims) => mintToken(base64urlDecode(secret), 'HS256', 'h1', { iss: 'ops', ...claims }),
    });
    const added = await bearer.addWebhook({ url: 'https://hooks.example.com/bearer' });
    assert.deepEqual((await app.webhooks()).map((e) => e.id), [added.id], 'the signed app sees what the bearer added');
    await bearer.removeWebhook(added.id);
    assert.deepEqual(await bearer.webhooks(), []);
  });

  test("another app can neither see nor change the first app's endpoint", async () => {
    const mine = await app.addWebhook({ url: 'https://hooks.example.com/mine' });
    const auditBefore = (await webhookAudit()).length;
    assert.deepEqual(await otherApp.webhooks(), [], "the other app's list is its own");
    assert.equal(await refusal(otherApp.removeWebhook(mine.id)), 'ERR_NOT_FOUND');
    assert.equal(await refusal(otherApp.rotateWebhookSecret(mine.id, { overlapHours: 0 })), 'ERR_NOT_FOUND');
    assert.equal(await refusal(otherApp.retryWebhooks({ endpointId: mine.id })), 'ERR_NOT_FOUND');
    const [still] = await app.webhooks();
    assert.deepEqual([still?.id, still?.previousSecretUntil], [mine.id, null], 'not removed, not rotated');
    assert.equal((await webhookAudit()).length, auditBefore, 'nothing was recorded: nothing changed');
    await app.removeWebhook(mine.id);
  });

  test('bad input is refused with ERR_BAD_REQUEST or ERR_NOT_FOUND and changes nothing', async () => {
    const kept = await app.addWebhook({ url: 'https://hooks.example.com/kept' });
    const auditBefore = (await webhookAudit()).length;
    const bad: [string, 'GET' | 'POST' | 'DELETE', string, string | undefined, string][] = [
      ['an http url', 'POST', '/v1/webhooks', JSON.stringify({ url: 'http://hooks.example.com/x' }), 'ERR_BAD_REQUEST'],
      ['no url', 'POST', '/v1/webhooks', JSON.stringify({ events: ['acked'] }), 'ERR_BAD_REQUEST'],
      ['an unknown event', 'POST', '/v1/webhooks', JSON.stringify({ url: 'https://hooks.example.com/x', events: ['read'] }), 'ERR_BAD_REQUEST'],
      ['no events', 'POST', '/v1/webhooks', JSON.stringify({ url: 'https://hooks.example.com/x', events: [] }), 'ERR_BAD_REQUEST'],
      ['a url with credentials', 'POST', '/v1/webhooks', JSON.stringify({ url: 'https://u:p@hooks.example.com/x' }), 'ERR_BAD_REQUEST'],
      ['an unknown field', 'POST', '/v1/webhooks', JSON.stringify({ url: 'https://hooks.example.com/x', secret: 'whsec_AAAA' }), 'ERR_BAD_REQUEST'],
      ['batch not a boolean', 'POST', '/v1/webhooks', JSON.stringify({ url: 'https://hooks.example.com/x', batch: 'yes' }), 'ERR_BAD_REQUEST'],
      ['an overlap over 720 h', 'POST', `/v1/webhooks/${kept.id}/rotate-secret`, JSON.stringify({ overlapHours: 721 }), 'ERR_BAD_REQUEST'],
      ['a negative overlap', 'POST', `/v1/webhooks/${kept.id}/rotate-secret`, JSON.stringify({ overlapHours: -1 }), 'ERR_BAD_REQUEST'],
      ['an overlap as text', 'POST', `/v1/webhooks/${kept.id}/rotate-secret`, JSON.stringify({ overlapHours: '2' }), 'ERR_BAD_REQUEST'],
      ['a malformed id', 'DELETE', '/v1/webhooks/not-an-id', undefined, 'ERR_BAD_REQUEST'],
      ['an unknown id', 'DELETE', '/v1/webhooks/whep_AAAAAAAAAAAAAAAA', undefined, 'ERR_NOT_FOUND'],
      ['rotating an unknown id', 'POST', '/v1/webhooks/whep_AAAAAAAAAAAAAAAA/rotate-secret', '{}', 'ERR_NOT_FOUND'],
      ['retrying an unknown id', 'POST', '/v1/webhooks/retry', JSON.stringify({ endpointId: 'whep_AAAAAAAAAAAAAAAA' }), 'ERR_NOT_FOUND'],
      ['a limit of 0', 'GET', '/v1/webhooks/failed?limit=0', undefined, 'ERR_BAD_REQUEST'],
      ['a limit over 1000', 'GET', '/v1/webhooks/failed?limit=1001', undefined, 'ERR_BAD_REQUEST'],
      ['a body that is not JSON', 'POST', '/v1/webhooks', '{"url":', 'ERR_BAD_REQUEST'],
    ];
    for (const [what, method, path, body, code] of bad) {
      const res = await send(method, path, body);
      assert.equal(res.json.error?.code, code, `${what}: ${res.text}`);
    }
    assert.equal(await refusal(app.addWebhook({ url: 'https://hooks.example.com/x', events: ['read' as 'acked'] })), 'ERR_BAD_REQUEST', 'the SDK gets the code too');
    const [still, ...none] = await app.webhooks();
    assert.deepEqual([still?.id, still?.previousSecretUntil, none], [kept.id, null, []], 'nothing added, removed or rotated');
    assert.equal((await webhookAudit()).length, auditBefore, 'nothing recorded');
    await app.removeWebhook(kept.id);
  });

  test('an unsigned request is refused, and a replayed one changes nothing the second time', async () => {
    const unsigned = await fetch(`${server.url}/v1/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://hooks.example.com/u' }) });
    assert.deepEqual([unsigned.status, ((await unsigned.json()) as { error: { code: string } }).error.code], [401, 'ERR_AUTH_MISSING']);
    const forged = await send('GET', '/v1/webhooks', undefined, await new RequestSigner(server.app.appId, other.secret).authorization({ method: 'GET', pathWithQuery: '/v1/webhooks', body: new Uint8Array(0) }));
    assert.equal(forged.json.error?.code, 'ERR_AUTH_SIGNATURE', "another app's secret does not sign for this app");

    const body = JSON.stringify({ url: 'https://hooks.example.com/once' });
    const header = await signer.authorization({ method: 'POST', pathWithQuery: '/v1/webhooks', body: new TextEncoder().encode(body) });
    const first = await send('POST', '/v1/webhooks', body, header);
    assert.equal(first.status, 201);
    const replay = await send('POST', '/v1/webhooks', body, header);
    assert.deepEqual([replay.status, replay.json.error?.code], [401, 'ERR_AUTH_REPLAY']);
    assert.deepEqual((await app.webhooks()).map((e) => e.url), ['https://hooks.example.com/once'], 'one endpoint, not two');
    await app.removeWebhook(first.json.id as string);
  });

  test("the audit records say the app made the change, the CLI's that the operator did; none holds a secret", async () => {
    const added = await app.addWebhook({ url: 'https://hooks.example.com/audited', events: ['expired'] });
    const rotated = await app.rotateWebhookSecret(added.id, { overlapHours: 0 });
    await withCore((core) => new WebhookAdmin({ store: core.store, kms: core.kms, clock: core.clock }).remove(added.id));
    const records = (await webhookAudit()).filter((r) => r.endpoint === added.id);
    assert.deepEqual(records, [
      { action: 'webhooks.add', app: server.app.appId, endpoint: added.id, url: 'https://hooks.example.com/audited', events: 'message.expired', batch: false, by: 'app' },
      { action: 'webhooks.rotate-secret', app: server.app.appId, endpoint: added.id, overlapMs: 0, by: 'app' },
      { action: 'webhooks.remove', app: server.app.appId, endpoint: added.id, by: 'operator' },
    ]);
    const text = JSON.stringify(await withCore((core) => core.store.auditRecords(0, 10_000)));
    for (const secret of [added.secret, rotated.secret]) assert.ok(!text.includes(secret.slice(6, 30)), 'no secret in the audit log');
  });

  test("failed events are listed for their app only, and retry sends them again", { timeout: 30_000 }, async () => {
    const endpoint = await app.addWebhook({ url: UNREACHABLE });
    const client: SealPushClient = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    try {
      const arrived = collect(client, 1);
      await app.publish({ to: client.clientId, data: { n: 1 }, id: 'wh-failed-1' });
      await arrived;
      const failed = await eventually(async () => {
        const list = await app.failedWebhooks({ limit: 10 });
        return list.length > 0 ? list : undefined;
      }, 'the acked event failed');
      assert.deepEqual(failed.map((f) => [f.endpointId, f.event.type, f.event.data.id]), [[endpoint.id, 'message.acked', 'wh-failed-1']]);
      assert.deepEqual(await otherApp.failedWebhooks(), [], "another app does not see them");
      assert.deepEqual(await otherApp.retryWebhooks(), { requeued: 0 }, 'nor send them again');
      assert.deepEqual(await app.retryWebhooks({ endpointId: endpoint.id }), { requeued: 1 });
    } finally {
      await client.close();
      await app.removeWebhook(endpoint.id);
    }
  });
});

test('webhook reads spend the same per-app read budget as the other signed reads', async () => {
  const server = await startTestServer({ limits: { readsPerSecondPerApp: 0.001, readBurstPerApp: 2 } });
  try {
    const app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret, retry: false });
    await app.webhooks();
    await app.failedWebhooks();
    const refused = await app.webhooks().then(() => undefined, (err: unknown) => err);
    assert.ok(isSealPushError(refused) && refused.code === 'ERR_RATE_LIMITED', String(refused));
    const status = await app.status('nothing').then(() => undefined, (err: unknown) => err);
    assert.ok(isSealPushError(status) && status.code === 'ERR_RATE_LIMITED', 'the message routes share the spent budget');
  } finally {
    await server.close();
  }
});
