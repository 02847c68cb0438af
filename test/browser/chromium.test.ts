import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SealPushApp, verifyReceipt } from '../../src/app/index.js';
import { CHROMIUM_PATH, chromiumMissing } from '../helpers/requirements.js';
import { serveStatic } from '../helpers/static-server.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const skip = chromiumMissing();
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** The page loads the SDK exactly as built for publishing (dist/client), as an ES module. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>sealpush SDK in Chromium</title>
<script type="module">
  import { connect } from '/client/index.js';
  window.received = [];
  window.start = async (options) => {
    const saved = localStorage.getItem('session');
    const c = await connect({ ...options, session: saved ? JSON.parse(saved) : undefined });
    c.on('message', (m) => window.received.push(m.data));
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
    pages = await serveStatic(DIST, { '/': PAGE });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(async () => {
    await browser?.close();
    await pages?.close();
    await server?.close();
  });

  async function startPage(page: Page): Promise<string> {
    await page.goto(pages.url + '/');
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const started = await page.evaluate(
      (options) => (window as unknown as { start(o: unknown): Promise<{ clientId: string }> }).start(options),
      { url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey },
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

    const clientId = await startPage(page);
    assert.match(clientId, /^[A-Za-z0-9_-]{24,}$/);
    await app.publish({ to: clientId, data: { report: 'ready', rows: 3 } });
    await receivedCount(page, 1);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { received: unknown[] }).received), [{ report: 'ready', rows: 3 }]);

    // Go away, let results pile up, come back with the session kept in localStorage.
    await page.evaluate(() => (window as unknown as { client: { close(): Promise<void> } }).client.close());
    for (const n of [1, 2, 3]) await app.publish({ to: clientId, data: { n } });
    await page.reload();
    const resumedId = await startPage(page);
    assert.equal(resumedId, clientId);
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
});
