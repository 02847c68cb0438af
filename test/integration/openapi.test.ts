import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { canonicalRequest, decodeAppSecret, parseAuthorization, SIGNATURE_SCHEME } from '../../src/crypto/request-signature.js';
import { RequestSigner } from '../../src/app/signing.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { summary?: string; tags?: string[]; security?: Record<string, string[]>[]; responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, { properties?: Record<string, { enum?: string[] }> }> } }> }> }>>;
  components: { securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string; description?: string }> };
}

let server: TestServer;
let doc: OpenApiDoc;

before(async () => {
  // Route coverage sends many unsigned requests from 127.0.0.1: lift the failed-auth budget per
  // address (refusal-limits.test.ts tests it), so each answer is the route's own, never a 429.
  server = await startTestServer({ limits: { failedAuthsPerSecondPerIp: 10_000 } });
  const res = await fetch(`${server.url}/v1/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  doc = (await res.json()) as OpenApiDoc;
});
after(async () => {
  await server.close();
});

/** fastify's `/messages/:id` is OpenAPI's `/messages/{id}`. */
const toOpenApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

test('openapi.json is an OpenAPI 3.1 document with info, paths and both security schemes', () => {
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(typeof doc.info.title, 'string');
  assert.equal(typeof doc.info.version, 'string');
  assert.ok(Object.keys(doc.paths).length >= 8);
  const { sealpushHmac, bearerJwt } = doc.components.securitySchemes;
  assert.deepEqual({ type: sealpushHmac?.type, in: sealpushHmac?.in, name: sealpushHmac?.name }, { type: 'apiKey', in: 'header', name: 'Authorization' });
  assert.match(sealpushHmac?.description ?? '', /SEALPUSH-HMAC-SHA256 app=<appId>,ts=<unix seconds>,nonce=<nonce>,sig=<signature>/);
  assert.deepEqual({ type: bearerJwt?.type, scheme: bearerJwt?.scheme }, { type: 'http', scheme: 'bearer' });
});

test('every registered route under /v1 is in openapi.json with its method, signed, with the error shape', () => {
  const routes = server.routes().filter((r) => r.method !== 'HEAD' && r.url.startsWith('/v1'));
  assert.ok(routes.length >= 7, `expected the /v1 routes, got ${JSON.stringify(routes)}`);
  for (const { method, url } of routes) {
    const op = doc.paths[toOpenApiPath(url)]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${url} is missing from openapi.json`);
    assert.ok(op.summary, `${method} ${url} has a summary`);
    assert.ok(op.tags?.length, `${method} ${url} has a tag`);
    if (url === '/v1/openapi.json') continue;
    const expected = url.startsWith('/v1/admin/') ? [{ adminToken: [] }] : [{ sealpushHmac: [] }, { bearerJwt: [] }];
    assert.deepEqual(op.security, expected, `${method} ${url} is documented with its scheme`);
    const error = op.responses['4XX']?.content?.['application/json']?.schema;
    assert.ok(error?.properties?.error?.properties?.code?.enum?.includes('ERR_AUTH_SIGNATURE'), `${method} ${url} documents the catalogue codes`);
  }
  assert.ok(routes.some((r) => r.url === '/v1/admin/overview') && routes.some((r) => r.url === '/v1/admin/audit'), 'the admin routes are served');
  for (const url of ['/v1/webhooks', '/v1/webhooks/:id', '/v1/webhooks/:id/rotate-secret', '/v1/webhooks/failed', '/v1/webhooks/retry']) {
    assert.ok(routes.some((r) => r.url === url), `${url} is served`);
  }
  assert.deepEqual({ type: doc.components.securitySchemes.adminToken?.type, scheme: doc.components.securitySchemes.adminToken?.scheme }, { type: 'http', scheme: 'bearer' });
  // The probes are documented too, as unsigned.
  assert.deepEqual(doc.paths['/healthz']?.get?.security, []);
  assert.deepEqual(doc.paths['/readyz']?.get?.security, []);
});

test('every documented route exists: unsigned, a /v1 route answers 401, a public one 200, never 404', async () => {
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ path, method })));
  assert.ok(documented.length >= 9);
  const registered = new Set(server.routes().map((r) => `${r.method} ${toOpenApiPath(r.url)}`));
  for (const { path, method } of documented) {
    assert.ok(registered.has(`${method.toUpperCase()} ${path}`), `${method} ${path} is documented but not registered`);
    const target = path.replace(/\{[^}]+\}/g, 'x1');
    const res = await fetch(`${server.url}${target}`, {
      method: method.toUpperCase(),
      ...(method === 'post' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
    });
    const json = (res.headers.get('content-type') ?? '').startsWith('application/json');
    const body = (json ? await res.json() : { text: await res.text() }) as { error?: { code: string } };
    assert.notEqual(res.status, 404, `${method} ${path} answered 404`);
    const isPublic = !path.startsWith('/v1') || path === '/v1/openapi.json';
    if (isPublic) assert.equal(res.status, 200, `${method} ${path}`);
    else assert.deepEqual([res.status, body.error?.code], [401, 'ERR_AUTH_MISSING'], `${method} ${path}`);
  }
  // An unknown route, even under /v1, is 404 before any authentication: the check above tells the two apart.
  assert.equal((await fetch(`${server.url}/v1/no-such-route`)).status, 404);
  assert.equal((await fetch(`${server.url}/v1/messages/x1/nothing`)).status, 404);
  assert.equal((await fetch(`${server.url}/no-such-route`)).status, 404);
});

test('openapi.json is generated from the schemas that validate: a documented constraint is enforced', async () => {
  const batch = doc.paths['/v1/messages/batch']?.post as unknown as { requestBody: { content: Record<string, { schema: { properties: { messages: { maxItems: number } } } }> } };
  const maxItems = batch.requestBody.content['application/json']?.schema.properties.messages.maxItems;
  assert.equal(maxItems, 1000);
  const signer = new RequestSigner(server.app.appId, server.app.secret);
  const body = JSON.stringify({ messages: Array.from({ length: maxItems + 1 }, () => ({ to: 'c_x', data: 1 })) });
  const bytes = new TextEncoder().encode(body);
  const res = await fetch(`${server.url}/v1/messages/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: await signer.authorization({ method: 'POST', pathWithQuery: '/v1/messages/batch', body: bytes }) },
    body,
  });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'ERR_BAD_REQUEST');

  type BodySchema = { requestBody: { content: Record<string, { schema: { properties: Record<string, { maximum?: number; items?: { enum?: string[] } }> } }> } };
  const bodyOf = (path: string) => (doc.paths[path]?.post as unknown as BodySchema).requestBody.content['application/json']?.schema.properties;
  assert.equal(bodyOf('/v1/webhooks/{id}/rotate-secret')?.overlapHours?.maximum, 720);
  assert.deepEqual(bodyOf('/v1/webhooks')?.events?.items?.enum, ['delivered', 'acked', 'expired', 'message.delivered', 'message.acked', 'message.expired']);
  const rotatePath = '/v1/webhooks/whep_AAAAAAAAAAAAAAAA/rotate-secret';
  const tooLong = new TextEncoder().encode(JSON.stringify({ overlapHours: 721 }));
  const refused = await fetch(`${server.url}${rotatePath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: await signer.authorization({ method: 'POST', pathWithQuery: rotatePath, body: tooLong }) },
    body: tooLong,
  });
  assert.deepEqual([refused.status, ((await refused.json()) as { error: { code: string } }).error.code], [400, 'ERR_BAD_REQUEST'], 'an overlap past the documented maximum');
});

function field(html: string, name: string): string {
  const match = new RegExp(`<code data-field="${name}">([^<]*)</code>`).exec(html);
  assert.ok(match, `the page shows ${name}`);
  return match[1]!.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&#60;/g, '<').replace(/&#62;/g, '>').replace(/&#38;/g, '&');
}

test('/docs is an HTML page listing every documented route and the signing scheme', async () => {
  const res = await fetch(`${server.url}/docs`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  const html = await res.text();
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<meta name="viewport" content="width=device-width/);
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) assert.ok(html.includes(`<code>${method.toUpperCase()} ${path}</code>`), `${method} ${path} is listed`);
  }
  assert.ok(html.includes('SEALPUSH-HMAC-SHA256 app=&#60;appId&#62;'), 'the scheme is described');
  assert.ok(html.includes('Bearer &#60;JWT&#62;'));
});

test("/docs's worked signing example verifies with src/crypto/request-signature.ts", async () => {
  const html = await (await fetch(`${server.url}/docs`)).text();
  const ex = {
    secret: field(html, 'secret'),
    method: field(html, 'method'),
    pathWithQuery: field(html, 'pathWithQuery'),
    body: field(html, 'body'),
    bodySha256Hex: field(html, 'bodySha256Hex'),
  };
  assert.equal(createHash('sha256').update(ex.body).digest('hex'), ex.bodySha256Hex, 'the body hash is the hash of the body shown');
  const headerLine = /<pre id="signed-header">Authorization: ([^<]*)<\/pre>/.exec(html)?.[1];
  assert.ok(headerLine?.startsWith(`${SIGNATURE_SCHEME} `));
  const auth = parseAuthorization(headerLine);
  assert.ok(auth, 'the example header parses');
  assert.equal(auth.appId, field(html, 'appId'));
  assert.equal(String(auth.ts), field(html, 'ts'));
  assert.equal(auth.nonce, field(html, 'nonce'));
  assert.equal(auth.sig, field(html, 'sig'));
  const canonical = canonicalRequest({ method: ex.method, pathWithQuery: ex.pathWithQuery, ts: auth.ts, nonce: auth.nonce, bodySha256Hex: ex.bodySha256Hex });
  const shown = /<pre id="canonical-string">([^<]*)<\/pre>/.exec(html)?.[1];
  assert.equal(shown, canonical, 'the page shows the canonical string');
  const expected = createHmac('sha256', decodeAppSecret(ex.secret)).update(canonical).digest('base64url');
  assert.equal(auth.sig, expected, 'the signature is the HMAC of the canonical string under the secret');
});
