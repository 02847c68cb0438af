import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { SealPushApp, verifyReceipt } from '../../src/app/index.js';
import { chromiumMissing, launchChromium } from '../helpers/requirements.js';
import { serveStatic } from '../helpers/static-server.js';
import { assertAccessibleBasics } from '../helpers/a11y.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const skip = chromiumMissing();
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const HPKE_MODULES = fileURLToPath(new URL('../../node_modules/@hpke/', import.meta.url));
const NOBLE_CIPHERS = fileURLToPath(new URL('../../node_modules/@noble/ciphers/', import.meta.url));

/**
 * The page loads the SDK exactly as built for publishing (dist/client), as an ES module; its
 * dependencies (@hpke, for relay-blind mode; @noble/ciphers, the channel's ChaCha20-Poly1305)
 * resolve through an import map, as a bundler would resolve them.
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>sealpush SDK in Chromium</title>
<script type="importmap">{ "imports": {
  "@hpke/core": "/hpke/core/esm/mod.js",
  "@hpke/common": "/hpke/common/esm/mod.js",
  "@hpke/dhkem-x25519": "/hpke/dhkem-x25519/esm/mod.js",
  "@noble/ciphers/chacha.js": "/noble-ciphers/chacha.js"
} }</script>
<script type="module">
  import { connect } from '/client/index.js';
  window.received = [];
  window.details = [];
  window.errors = [];
  window.start = async (options) => {
    const saved = localStorage.getItem('session');
    const c = await connect({ ...options, session: saved ? JSON.parse(saved) : undefined });
    c.on('message', (m) => {
      window.received.push(m.data);
      window.details.push({ sealed: m.sealed, verified: m.verified });
    });
    c.on('error', (e) => window.errors.push(e.code));
    c.on('session', (s) => localStorage.setItem('session', JSON.stringify(s)));
    localStorage.setItem('session', JSON.stringify(c.session()));
    window.client = c;
    return { clientId: c.clientId, webSocket: typeof WebSocket, subtle: typeof crypto.subtle.deriveBits };
  };
  window.ready = true;
</script>`;

describe('the client SDK in headless Chromium (Debian package, WebCrypto only)', { skip }, () => {
  let server: TestServer;
  let pages: Awaited<ReturnType<typeof serveStatic>>;
  let browser: Browser;
  let app: SealPushApp;

  before(async () => {
    server = await startTestServer();
    await server.updateApp(server.app.appId, { receipts: true }); // the page's signed ACKs are checked below
    pages = await serveStatic(DIST, { '/': PAGE }, { '/hpke/': HPKE_MODULES, '/noble-ciphers/': NOBLE_CIPHERS });
    browser = await launchChromium();
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(async () => {
    await browser?.close();
    await pages?.close();
    await server?.close();
  });

  async function startPage(page: Page, extra: Record<string, unknown> = {}): Promise<string> {
    await page.goto(pages.url + '/');
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const started = await page.evaluate(
      (options) => (window as unknown as { start(o: unknown): Promise<{ clientId: string }> }).start(options),
      { url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, ...extra },
    );
    return started.clientId;
  }

  const receivedCount = (page: Page, n: number) =>
    page.waitForFunction((count) => (window as unknown as { received: unknown[] }).received.length >= count, n, { timeout: 20_000 });

  test('connects, receives and decrypts; after a reload it resumes the same client and gets what was sent meanwhile', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    // The second byte of each connection's hello: an IK hello's appIdLen, or 0 for a resume hello.
    const helloKinds: number[] = [];
    page.on('websocket', (ws) => {
      let first = true;
      ws.on('framesent', ({ payload }) => {
        if (first) helloKinds.push(Buffer.from(payload as Buffer)[1]!);
        first = false;
      });
    });

    const clientId = await startPage(page);
    assert.match(clientId, /^[A-Za-z0-9_-]{24,}$/);
    await app.publish({ to: clientId, data: { report: 'ready', rows: 3 } });
    await receivedCount(page, 1);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { received: unknown[] }).received), [{ report: 'ready', rows: 3 }]);

    // Go away, let results pile up, come back with the session (and its resumption ticket) kept in localStorage.
    await page.waitForFunction(() => JSON.parse(localStorage.getItem('session') ?? '{}').ticket !== undefined);
    await page.evaluate(() => (window as unknown as { client: { close(): Promise<void> } }).client.close());
    for (const n of [1, 2, 3]) await app.publish({ to: clientId, data: { n } });
    await page.reload();
    const resumedId = await startPage(page);
    assert.equal(resumedId, clientId);
    assert.equal(helloKinds.length, 2);
    assert.notEqual(helloKinds[0], 0, 'the first connection runs IK');
    assert.equal(helloKinds[1], 0, 'the page came back with its ticket: NNpsk0 (docs/protocol.md section 2.6)');
    await receivedCount(page, 3);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { received: unknown[] }).received), [{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.deepEqual(errors, []);

    // The page's ACKs are signed with its WebCrypto Ed25519 key: the receipt verifies with it.
    const { id } = await app.publish({ to: clientId, data: 'receipt' });
    await receivedCount(page, 4);
    const ackKey = await page.evaluate(() => (window as unknown as { client: { ackKey: string } }).client.ackKey);
    const receipt = await eventually(async () => app.receipt(id).catch(() => undefined), 'the receipt');
    assert.deepEqual(await verifyReceipt(receipt, ackKey), { valid: true });

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/chromium-sdk.png' });
    await context.close();
  });

  test('relay-blind and signed: opens a sealed message with its HPKE key and verifies the publisher signature in WebCrypto', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signer = new SealPushApp({
      url: server.url,
      appId: server.app.appId,
      secret: server.app.secret,
      signingKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));

    const clientId = await startPage(page, { publisherKey: publicKey.export({ format: 'jwk' }).x });
    await signer.publish({ to: clientId, data: { sealed: 'in the browser' }, seal: true });
    await app.publish({ to: clientId, data: 'unsigned: refused' });
    await signer.publish({ to: clientId, data: 'signed only' });
    await receivedCount(page, 2);
    const seen = await page.evaluate(() => {
      const w = window as unknown as { received: unknown[]; details: unknown[]; errors: string[] };
      return { received: w.received, details: w.details, errors: w.errors };
    });
    assert.deepEqual(seen.received, [{ sealed: 'in the browser' }, 'signed only']);
    assert.deepEqual(seen.details, [{ sealed: true, verified: true }, { sealed: false, verified: true }]);
    assert.deepEqual(seen.errors, ['ERR_MESSAGE_SIGNATURE']);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('/docs renders the API reference on a 360 px screen, from sealpush alone', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    const elsewhere: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url)) elsewhere.push(request.url());
    });
    const response = await page.goto(`${server.url}/docs`);
    assert.equal(response?.status(), 200);
    const doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const listed = await page.locator('#route-list li code').allInnerTexts();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    assert.deepEqual(listed.sort(), documented.sort());
    assert.ok(await page.getByRole('heading', { name: 'Worked signing example' }).isVisible());
    assert.match(await page.locator('#signed-header').innerText(), /^Authorization: SEALPUSH-HMAC-SHA256 app=app_demo,ts=1767225600,/);
    // Readable at 360 px: the page itself does not scroll sideways (wide blocks scroll inside).
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    await assertAccessibleBasics(page, '/docs');
    assert.deepEqual(errors, []);
    assert.deepEqual(elsewhere, []);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/chromium-docs.png', fullPage: false });
    await page.setViewportSize({ width: 1000, height: 800 });
    await page.screenshot({ path: 'test-results/chromium-docs-wide.png', fullPage: false });
    await context.close();
  });
});
