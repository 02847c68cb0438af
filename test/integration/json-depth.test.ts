/**
 * The JSON nesting limit (maxJsonDepth, docs/api.md) on the real server: a body nested
 * 10,000 levels deep once ran the stack out in the publish path (500 ERR_INTERNAL). Every
 * route that takes a body now refuses it with 400 ERR_BAD_REQUEST before anything parses it,
 * stores nothing, and the node keeps serving; depth exactly at the limit still goes through,
 * and brackets inside strings do not count. The SDK bounds what it parses the same way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type SealPushClient } from '../../src/client/index.js';
import { DEFAULT_MAX_JSON_DEPTH } from '../../src/domain/json-depth.js';
import { collect, errorsOf } from '../helpers/messages.js';
import { deepArrays, deepMixed, deepObjects, rawSender } from '../helpers/json-bodies.js';
import { runCli } from '../helpers/process.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const LIMIT = DEFAULT_MAX_JSON_DEPTH;
const DEEP = 10_000;

describe('JSON nested past maxJsonDepth, on the real server', () => {
  let server: TestServer;
  let send: ReturnType<typeof rawSender>;
  let offline: string;

  before(async () => {
    server = await startTestServer();
    const admin = await runCli(['--data', server.dataDir, 'admin', 'create', '--name', 'ops', '--json']);
    assert.equal(admin.code, 0, admin.stderr);
    send = rawSender(server, (JSON.parse(admin.stdout) as { token: string }).token);
    const c = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    offline = c.clientId;
    await c.close();
  });
  after(() => server.close());

  const publish = (id: string, data: string, to = offline): string => `{"id":"${id}","to":"${to}","data":${data}}`;
  const batch = (id: string, data: string, to = offline): string => `{"messages":[${publish(id, data, to)}]}`;
  const pending = async (): Promise<unknown> => (await send('GET', `/v1/clients/${offline}`)).body.pending;

  test('publish and batch publish: 10,000-deep arrays, objects and mixes are 400 ERR_BAD_REQUEST, nothing stored', async () => {
    const shapes = { arrays: deepArrays(DEEP), objects: deepObjects(DEEP), mixed: deepMixed(DEEP) };
    for (const [shape, data] of Object.entries(shapes)) {
      for (const [route, body] of [['/v1/messages', publish(`deep-${shape}`, data)], ['/v1/messages/batch', batch(`deep-batch-${shape}`, data)]] as const) {
        const res = await send('POST', route, body);
        assert.deepEqual([res.status, res.body.error?.code], [400, 'ERR_BAD_REQUEST'], `${route} ${shape}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.error?.message ?? '', new RegExp(`deeper than ${LIMIT} levels`));
      }
      for (const id of [`deep-${shape}`, `deep-batch-${shape}`]) {
        assert.equal((await send('GET', `/v1/messages/${id}`)).status, 404, `${id} was stored`);
      }
    }
    assert.equal(await pending(), 0);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the node still serves');
  });

  test('every route that takes a body refuses a 10,000-deep one with 400 ERR_BAD_REQUEST and changes nothing', async () => {
    const routes = server.routes().filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));
    assert.ok(routes.some((r) => r.method === 'DELETE') && routes.some((r) => r.url.startsWith('/v1/admin')), JSON.stringify(routes));
    for (const { method, url } of routes) {
      const path = url.replace(':id', offline);
      for (const body of [deepArrays(DEEP), deepObjects(DEEP), deepMixed(DEEP)]) {
        const res = await send(method, path, body);
        assert.deepEqual([res.status, res.body.error?.code], [400, 'ERR_BAD_REQUEST'], `${method} ${path}: ${JSON.stringify(res.body)}`);
      }
    }
    assert.equal((await send('GET', `/v1/clients/${offline}`)).status, 200, 'DELETE with a deep body forgot nothing');
  });

  test('depth exactly at the limit is accepted (the envelope counts), one more is refused; brackets in strings do not count', async () => {
    // POST /v1/messages: the body's object is level 1, so data may nest LIMIT - 1 levels.
    assert.equal((await send('POST', '/v1/messages', publish('at-limit', deepMixed(LIMIT - 1)))).status, 202);
    assert.equal((await send('POST', '/v1/messages', publish('past-limit', deepMixed(LIMIT)))).status, 400);
    // /batch: object, messages array, message object: LIMIT - 3 levels for data.
    assert.equal((await send('POST', '/v1/messages/batch', batch('batch-at-limit', deepArrays(LIMIT - 3)))).status, 202);
    assert.equal((await send('POST', '/v1/messages/batch', batch('batch-past-limit', deepArrays(LIMIT - 2)))).status, 400);
    const brackets = JSON.stringify(`${'[{'.repeat(DEEP)}"\\${']}'.repeat(7)}`);
    assert.equal((await send('POST', '/v1/messages', publish('in-string', brackets))).status, 202);
    assert.equal(await pending(), 3);
    for (const id of ['past-limit', 'batch-past-limit']) assert.equal((await send('GET', `/v1/messages/${id}`)).status, 404);
  });

  test('the SDK takes every message the server accepted, deepest included', async () => {
    const c = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    try {
      const to = c.clientId;
      const messages = collect(c, 2);
      assert.equal((await send('POST', '/v1/messages', publish('sdk-at-limit', deepObjects(LIMIT - 1), to))).status, 202);
      assert.equal((await send('POST', '/v1/messages', publish('sdk-string', JSON.stringify('[[[{{{'), to))).status, 202);
      const [deepest, text] = await messages;
      assert.deepEqual(deepest?.data, JSON.parse(deepObjects(LIMIT - 1)));
      assert.equal(text?.data, '[[[{{{');
    } finally {
      await c.close();
    }
  });

  test("the SDK refuses a signed wrapper whose inner JSON text is 10,000 deep, and takes the next message", async () => {
    const c: SealPushClient = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    try {
      const errors = errorsOf(c);
      const next = collect(c, 1);
      const wrapper = JSON.stringify({ 'sealpush:sig': 1, payload: deepArrays(DEEP), sig: 'A'.repeat(86) });
      assert.equal((await send('POST', '/v1/messages', publish('wrapped-deep', wrapper, c.clientId))).status, 202, 'the server stores a string as it is');
      assert.equal((await send('POST', '/v1/messages', publish('after-deep', '{"ok":true}', c.clientId))).status, 202);
      const [after] = await next;
      assert.deepEqual(after?.data, { ok: true });
      const refused = await eventually(async () => errors[0], 'the refusal of the deep message');
      assert.equal(refused.code, 'ERR_MESSAGE_SIGNATURE');
      assert.match(refused.message, /wrapped-deep/);
    } finally {
      await c.close();
    }
  });
});
