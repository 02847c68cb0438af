import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** What sealpush serves besides its API (src/transport/http/routes/pages.ts), over real HTTP. */
describe('pages and their files', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('/dashboard and /demo are HTML with a policy that runs scripts from sealpush only', async () => {
    for (const path of ['/dashboard', '/demo']) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      const html = await res.text();
      assert.doesNotMatch(html, /<!-- importmap -->/, 'the placeholder is replaced');
      assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers (the policy would block them)');
    }
    const dashboard = await fetch(`${server.url}/dashboard`);
    assert.match(dashboard.headers.get('content-security-policy') ?? '', /script-src 'self';.*connect-src 'self'(;|$)/);
  });

  test("the demo's one inline script is its import map, allowed by its exact hash", async () => {
    const res = await fetch(`${server.url}/demo`);
    const html = await res.text();
    const inline = [...html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/g)];
    assert.equal(inline.length, 1);
    assert.match(inline[0]![0], /type="importmap"/);
    const hash = createHash('sha256').update(inline[0]![1]!).digest('base64');
    assert.match(res.headers.get('content-security-policy') ?? '', new RegExp(`script-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}'`));
    const map = JSON.parse(inline[0]![1]!) as { imports: Record<string, string> };
    for (const target of Object.values(map.imports)) {
      const module = await fetch(server.url + target);
      assert.equal(module.status, 200, target);
      assert.match(module.headers.get('content-type') ?? '', /^text\/javascript/);
    }
  });

  test('the browser SDK is served as built; nothing else of the package is', async () => {
    const sdk = await fetch(`${server.url}/sdk/client/index.js`);
    assert.equal(sdk.status, 200);
    assert.match(await sdk.text(), /export function connect/);
    assert.equal((await fetch(`${server.url}/assets/pages.css`)).status, 200);
    for (const path of [
      '/sdk/crypto/node/keys.js', // node-only code
      '/sdk/drivers/store/sqlite.js',
      '/sdk/compose/node.js',
      '/sdk/client/index.js.map',
      '/sdk/client/../compose/node.js',
      '/sdk/client/%2e%2e/compose/node.js',
      '/sdk/hpke/core/package.json',
      '/sdk/hpke/core/esm/../../../../package.json',
      '/sdk/noble-ciphers/package.json',
      '/sdk/noble-ciphers/src/chacha.ts',
      '/sdk/noble-ciphers/../../../package.json',
      '/assets/../package.json',
      '/assets/%2e%2e%2fpackage.json',
      '/assets/dashboard.html',
      '/assets/nope.js',
    ]) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'ERR_NOT_FOUND', path);
    }
  });
});

test('pages: false serves none of them', async () => {
  const server = await startTestServer({ pages: false });
  try {
    for (const path of ['/dashboard', '/demo', '/assets/dashboard.js', '/sdk/client/index.js']) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 404, path);
    }
    assert.equal((await fetch(`${server.url}/docs`)).status, 200, 'the API reference stays');
    assert.equal((await fetch(`${server.url}/assets/pages.css`)).status, 200, 'and the stylesheet it shares with / (front-door.test.ts)');
  } finally {
    await server.close();
  }
});

test('files carry an ETag: a browser that has them gets 304 and no body', async () => {
  const server = await startTestServer();
  try {
    for (const path of ['/dashboard', '/', '/docs', '/assets/pages.css', '/assets/dashboard.js', '/sdk/client/index.js', '/sdk/hpke/core/esm/mod.js']) {
      const first = await fetch(server.url + path);
      assert.equal(first.status, 200);
      const etag = first.headers.get('etag');
      assert.match(etag ?? '', /^"[A-Za-z0-9_-]{27}"$/, path);
      const again = await fetch(server.url + path, { headers: { 'if-none-match': etag! } });
      assert.equal(again.status, 304, path);
      assert.equal((await again.arrayBuffer()).byteLength, 0);
      const changed = await fetch(server.url + path, { headers: { 'if-none-match': '"other"' } });
      assert.equal(changed.status, 200, path);
    }
  } finally {
    await server.close();
  }
});
