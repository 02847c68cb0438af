import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type pino from 'pino';
import { exited, spawnServer, type ServerProcess } from '../helpers/process.js';
import { captureLogs, eventually, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

interface FrontDoor {
  name: string;
  version: string;
  links: { rel: string; href: string; title: string }[];
}

const VERSION = (await import('../../package.json', { with: { type: 'json' } })).default.version;

/** `GET /` (src/transport/http/routes/front-door.ts), over real HTTP. */
describe('the front door', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('GET / is an HTML index with the version and a link to every page and probe, under the pages policy', async () => {
    const res = await fetch(`${server.url}/`, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|script-src/);
    const html = await res.text();
    assert.ok(html.includes(`<span class="muted" id="version">${VERSION}</span>`), 'the version from package.json');
    for (const path of ['/docs', '/dashboard', '/demo', '/v1/openapi.json', '/healthz', '/readyz']) {
      assert.ok(html.includes(`<a href="${path}">`), `links ${path}`);
    }
    assert.ok(!html.includes('/metrics'), 'the metrics route is not advertised');
    assert.ok(!html.includes(server.app.appId) && !html.includes(server.identity.fingerprint), 'no data beyond the version');
  });

  test('GET / as JSON when the client prefers it; every link answers 200', async () => {
    const res = await fetch(`${server.url}/`, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(res.headers.get('vary') ?? '', /accept/i);
    const index = (await res.json()) as FrontDoor;
    assert.equal(index.name, 'sealpush');
    assert.equal(index.version, VERSION);
    assert.deepEqual(index.links.map((l) => l.rel), ['docs', 'dashboard', 'demo', 'openapi', 'health', 'ready']);
    for (const link of index.links) assert.equal((await fetch(server.url + link.href)).status, 200, link.href);
    // HTML wins a tie and the wildcard; a lower q for JSON keeps HTML.
    for (const accept of ['*/*', 'text/html, application/json', 'application/json;q=0.5, text/html']) {
      const html = await fetch(`${server.url}/`, { headers: { accept } });
      assert.match(html.headers.get('content-type') ?? '', /^text\/html/, accept);
    }
    const etag = res.headers.get('etag')!;
    assert.equal((await fetch(`${server.url}/`, { headers: { accept: 'application/json', 'if-none-match': etag } })).status, 304);
  });

  test('/docs, under the pages policy, renders field tables and links each code of a route to the error table', async () => {
    const res = await fetch(`${server.url}/docs`);
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.headers.get('content-security-policy') ?? '', /unsafe-inline/);
    const html = await res.text();
    assert.ok(!html.includes('<style'), 'no inline style: the shared stylesheet');
    const section = (id: string): string => {
      const start = html.indexOf(`<section class="op" id="${id}"`);
      assert.ok(start > 0, id);
      return html.slice(start, html.indexOf('</section>', start));
    };
    const publish = section('post-v1-messages');
    assert.match(publish, /<tr><td><code>to<\/code><\/td><td>string<\/td><td>yes<\/td>/);
    assert.match(publish, /<tr><td><code>ttl<\/code><\/td><td>integer<\/td><td>no<\/td><td>[^<]*<\/td><td>1-2592000 seconds/);
    assert.ok(publish.includes('<a href="#ERR_IDEMPOTENCY_CONFLICT">'));
    // A short list per route: a status read cannot be refused for a full client.
    const status = section('get-v1-messages-id');
    assert.ok(status.includes('<a href="#ERR_NOT_FOUND">') && !status.includes('ERR_CLIENT_FULL'));
    assert.match(section('get-v1-messages-id-receipt'), /receipt\.messages\[\]\.seq/);
    // Every code linked from a route has its row, from the catalogue.
    for (const [, code] of html.matchAll(/<a href="#(ERR_[A-Z_]+)">/g)) assert.ok(html.includes(`<tr id="${code}">`), code);
  });

  test('pages: false leaves / (without the pages), /docs and the stylesheet', async () => {
    const bare = await startTestServer({ pages: false });
    try {
      const index = (await (await fetch(`${bare.url}/`, { headers: { accept: 'application/json' } })).json()) as FrontDoor;
      assert.deepEqual(index.links.map((l) => l.rel), ['docs', 'openapi', 'health', 'ready']);
      assert.doesNotMatch(await (await fetch(`${bare.url}/`)).text(), /\/dashboard|\/demo/);
      assert.equal((await fetch(`${bare.url}/assets/pages.css`)).status, 200);
      assert.equal((await fetch(`${bare.url}/assets/dashboard.js`)).status, 404);
    } finally {
      await bare.close();
    }
  });
});

/** A logger at `level` whose JSON lines the test reads back. */
function capture(level: string): { logger: pino.Logger; lines(): Record<string, unknown>[] } {
  const { logger, text } = captureLogs(level);
  return { logger, lines: () => text().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('request logging', () => {
  const requests = async (url: string): Promise<void> => {
    await fetch(`${url}/healthz?token=query-secret`);
    await fetch(`${url}/v1/messages/x`, { headers: { authorization: 'SEALPUSH-HMAC-SHA256 app=a,ts=1,nonce=n,sig=header-secret' } });
    await fetch(`${url}/no-such-route`);
  };

  test('info: one line per request, with method, path without query, status, duration, id, address and refusal code', async () => {
    const log = capture('info');
    const server = await startTestServer({ limits: { failedAuthsPerSecondPerIp: 10_000 } }, log.logger);
    try {
      await requests(server.url);
      const lines = await eventually(async () => {
        const found = log.lines().filter((l) => l.reqId !== undefined);
        return found.length >= 3 ? found : undefined;
      }, 'three request lines');
      assert.equal(lines.length, 3, JSON.stringify(lines));
      assert.deepEqual(lines.map((l) => [l.method, l.path, l.status, l.code]), [
        ['GET', '/healthz', 200, undefined],
        ['GET', '/v1/messages/x', 401, 'ERR_AUTH_MISSING'],
        ['GET', '/no-such-route', 404, 'ERR_NOT_FOUND'],
      ]);
      assert.equal(new Set(lines.map((l) => l.reqId)).size, 3);
      for (const line of lines) {
        assert.equal(typeof line.ms, 'number');
        assert.equal(line.remote, '127.0.0.1');
      }
      const all = JSON.stringify(log.lines());
      assert.ok(!all.includes('query-secret') && !all.includes('header-secret'), 'no query string or Authorization value');
    } finally {
      await server.close();
    }
  });

  test('debug: the arrival and refusal details besides, still without the query or the header', async () => {
    const log = capture('debug');
    const server = await startTestServer({ limits: { failedAuthsPerSecondPerIp: 10_000 } }, log.logger);
    try {
      await requests(server.url);
      const lines = await eventually(async () => {
        const found = log.lines().filter((l) => l.reqId !== undefined);
        return found.filter((l) => l.status !== undefined).length >= 3 ? found : undefined;
      }, 'three request lines');
      assert.ok(lines.length >= 6, `more than one line per request at debug: ${lines.length}`);
      assert.ok(lines.some((l) => l.msg === 'incoming request' && (l.request as { path?: string }).path === '/healthz'));
      assert.ok(lines.some((l) => l.msg === 'request refused' && l.code === 'ERR_AUTH_MISSING'));
      const all = JSON.stringify(log.lines());
      assert.ok(!all.includes('query-secret') && !all.includes('header-secret'));
    } finally {
      await server.close();
    }
  });
});

test('sealpush serve: the banner lists the pages with full URLs; at --log-level info each request is one line', async () => {
  const dataDir = tempDir();
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer(dataDir, { SEALPUSH_LOG_LEVEL: 'info' });
    const base = server.url;
    const listed = [...server.output().matchAll(/^ {2}(Home|API reference|Dashboard|Demo|OpenAPI document|Liveness|Readiness) +(\S+)$/gm)].map((m) => m[2]!);
    assert.deepEqual(listed, ['/', '/docs', '/dashboard', '/demo', '/v1/openapi.json', '/healthz', '/readyz'].map((p) => base + p));
    for (const url of listed) assert.equal((await fetch(url)).status, 200, url);
    const requestLines = await eventually(async () => {
      const found = server!.output().split('\n').filter((line) => line.includes('"reqId"'));
      return found.length >= listed.length ? found : undefined;
    }, 'a line per request');
    assert.equal(requestLines.length, listed.length, requestLines.join('\n'));
    assert.ok(requestLines.every((line) => /"msg":"GET \S+ 200"/.test(line)), requestLines.join('\n'));
    assert.ok(!server.output().includes('FSTDEP'), 'no fastify deprecation warning');
  } finally {
    if (server) {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});
