import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { connect, type SealPushClient } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { chromiumMissing, launchChromium } from '../helpers/requirements.js';
import { assertAccessibleBasics } from '../helpers/a11y.js';
import { runCli } from '../helpers/process.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const skip = chromiumMissing();

/**
 * The operator dashboard as an operator uses it: sealpush serves the page, Chromium runs it,
 * a real client connects and real messages flow while the test reads what the page shows.
 */
describe('/dashboard in headless Chromium', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  let token: string;
  const clients: SealPushClient[] = [];

  before(async () => {
    server = await startTestServer();
    const created = await runCli(['--data', server.dataDir, 'admin', 'create', '--name', 'browser-test', '--json']);
    assert.equal(created.code, 0, created.stderr);
    token = (JSON.parse(created.stdout) as { token: string }).token;
    browser = await launchChromium();
  });
  after(async () => {
    for (const c of clients) await c.close();
    await browser?.close();
    await server?.close();
  });

  /** A page that records its script errors and every request it makes. */
  async function open(width: number): Promise<{ page: Page; errors: string[]; requests: string[]; close(): Promise<void> }> {
    const context = await browser.newContext({ viewport: { width, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('request', (request) => requests.push(request.url()));
    const response = await page.goto(`${server.url}/dashboard`);
    assert.equal(response?.status(), 200);
    // The page pauses its polling while hidden: make sure it is the one in front.
    await page.bringToFront();
    return { page, errors, requests, close: () => context.close() };
  }

  const points = (page: Page, line: 'published' | 'delivered') => page.getAttribute(`#line-${line}`, 'points');
  const peak = async (page: Page, line: 'published' | 'delivered'): Promise<number> => {
    // The chart's own scale: a point's height above the baseline, as a share of the plot.
    const values = ((await points(page, line)) ?? '').split(' ').filter(Boolean).map((p) => Number(p.split(',')[1]));
    return values.length === 0 ? 0 : Math.max(...values) - Math.min(...values);
  };

  test('refuses without the token: nothing shown, and a wrong token is refused by the server', async () => {
    const { page, errors, requests, close } = await open(1000);
    assert.ok(await page.locator('#signin').isVisible());
    assert.ok(await page.locator('#board').isHidden());
    await assertAccessibleBasics(page, 'the sign-in form');
    // Without a token the page asks for nothing but itself.
    assert.deepEqual(requests.filter((u) => u.includes('/v1/')), []);

    // As a person (or a screen reader) finds them: by label and by role.
    await page.getByLabel('Admin token').fill('sp_admin_AAAAAAAAAAAAAAAA_' + 'A'.repeat(43));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signin-status', { hasText: 'ERR_AUTH_SIGNATURE' }).waitFor();
    assert.ok(await page.locator('#board').isHidden());
    assert.equal(await page.locator('#connections').innerText(), '–', 'no data reached the page');
    assert.deepEqual(errors, []);
    await close();
  });

  test('with the token: connections rise when a client connects, the chart moves when messages flow', async () => {
    const { page, errors, requests, close } = await open(1000);
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.locator('#board').waitFor({ state: 'visible' });
    await page.locator('#connections', { hasText: /^0$/ }).waitFor();
    assert.equal(await page.locator('#fingerprint').innerText(), server.identity.fingerprint);
    assert.equal(await page.locator('#node-count').innerText(), '1 node');
    assert.match(await page.locator('#nodes tr').innerText(), /\(this one\)\t0\t/);
    assert.equal(await page.locator('#apps tr').count(), 1);
    assert.match(await page.locator('#apps tr').innerText(), new RegExp(server.app.appId));
    const flatPublished = await points(page, 'published');
    assert.equal(await peak(page, 'published'), 0, 'no traffic yet: a flat line');

    const client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    clients.push(client);
    const received: unknown[] = [];
    client.on('message', (m) => received.push(m.data));
    await page.locator('#connections', { hasText: /^1$/ }).waitFor();
    // A poll taken while the handshake waited for the client's CONFIRM counts the socket but
    // not yet its app: the next one counts both.
    await eventually(async () => (/\t1\t/.test(await page.locator('#apps tr').innerText()) ? true : undefined), 'the app row counts its connection');

    const app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
    for (let i = 0; i < 20; i++) await app.publish({ to: client.clientId, data: { i } });
    // The chart shows complete seconds only: within about two seconds all 20 are counted, both ways.
    await page.waitForFunction(
      (flat) => document.getElementById('line-published')?.getAttribute('points') !== flat &&
        /20 published and 20 delivered in all/.test(document.getElementById('chart-label')?.textContent ?? ''),
      flatPublished,
      { timeout: 20_000 },
    );
    assert.ok(await peak(page, 'published') > 0, 'the published line rose');
    assert.ok(await peak(page, 'delivered') > 0, 'the delivered line rose');
    assert.equal(received.length, 20);
    assert.match((await page.getByRole('img', { name: /^Messages per second/ }).textContent()) ?? '', /20 published/, 'the chart is named by what it shows');
    await assertAccessibleBasics(page, 'the dashboard');

    // An unsigned request is refused and shows up among the recent failures.
    assert.equal((await fetch(`${server.url}/v1/messages/nope`)).status, 401);
    await page.locator('#failures tr', { hasText: 'ERR_AUTH_MISSING' }).waitFor({ timeout: 20_000 });

    await page.click('#verify');
    await page.locator('#audit-verification', { hasText: 'Verified' }).waitFor({ timeout: 20_000 });

    // The page read only its own origin's admin routes and its files.
    const elsewhere = requests.filter((u) => !u.startsWith(server.url + '/v1/admin/') && !/\/(dashboard|assets\/[a-z-]+\.(js|css))$/.test(u));
    assert.deepEqual(elsewhere, []);
    assert.deepEqual(errors, []);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/chromium-dashboard.png', fullPage: true });

    // Signing out forgets the token: a reload asks again.
    await page.click('#signout');
    await page.reload();
    assert.ok(await page.locator('#signin').isVisible());
    assert.ok(await page.locator('#board').isHidden());
    await close();
  });

  test('readable on a 360 px screen: the page does not scroll sideways', async () => {
    const { page, errors, close } = await open(360);
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.locator('#board').waitFor({ state: 'visible' });
    await page.locator('#fingerprint', { hasText: server.identity.fingerprint }).waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    assert.ok(await page.locator('#chart').isVisible());
    assert.deepEqual(errors, []);
    await page.screenshot({ path: 'test-results/chromium-dashboard-360.png', fullPage: true });
    await close();
  });

  test('a token revoked while the page is open: the page drops back to sign-in', async () => {
    const made = await runCli(['--data', server.dataDir, 'admin', 'create', '--name', 'short-lived', '--json']);
    assert.equal(made.code, 0, made.stderr);
    const { id, token: shortLived } = JSON.parse(made.stdout) as { id: string; token: string };
    const { page, errors, close } = await open(1000);
    await page.fill('#token', shortLived);
    await page.click('button[type=submit]');
    await page.locator('#board').waitFor({ state: 'visible' });
    assert.equal((await runCli(['--data', server.dataDir, 'admin', 'revoke', id])).code, 0);
    await page.locator('#signin-status', { hasText: 'ERR_AUTH_SIGNATURE' }).waitFor({ timeout: 20_000 });
    assert.ok(await page.locator('#board').isHidden());
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'the token is forgotten');
    assert.deepEqual(errors, []);
    await close();
  });
});
