import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { assertAccessibleBasics } from '../helpers/a11y.js';
import { chromiumMissing, launchChromium } from '../helpers/requirements.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const skip = chromiumMissing();

/** `/` and `/docs` as a person sees them in Chromium (src/transport/http/routes/front-door.ts, docs-page.ts). */
describe('the front door and the API reference in Chromium', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('/ shows the version and leads to each page; styled, accessible, no error', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text()); // a blocked stylesheet says so here
    });
    assert.equal((await page.goto(`${server.url}/`))?.status(), 200);
    assert.match(await page.locator('#version').innerText(), /^\d+\.\d+\.\d+/);
    await assertAccessibleBasics(page, '/');
    // The shared stylesheet applied: the header's bottom rule comes from pages.css.
    assert.equal(await page.locator('header').evaluate((el) => getComputedStyle(el).borderBottomStyle), 'solid');
    await page.getByRole('main').getByRole('link', { name: 'API reference' }).click();
    await page.waitForURL(`${server.url}/docs`);
    assert.ok(await page.getByRole('heading', { level: 1, name: 'sealpush REST API' }).isVisible());
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('/docs: a field table for POST /v1/messages, and its error codes link to the catalogue rows', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${server.url}/docs`);
    const publish = page.locator('section#post-v1-messages');
    const table = publish.getByRole('table', { name: 'Request body of POST /v1/messages' });
    assert.ok(await table.isVisible());
    assert.deepEqual(await table.locator('thead th').allInnerTexts(), ['Field', 'Type', 'Required', 'Description', 'Limits']);
    const to = table.locator('tbody tr', { has: page.locator('td:first-child', { hasText: /^to$/ }) });
    assert.deepEqual((await to.locator('td').allInnerTexts()).slice(0, 3), ['to', 'string', 'yes']);

    await publish.getByRole('link', { name: 'ERR_CLIENT_FULL' }).click();
    await page.waitForURL(`${server.url}/docs#ERR_CLIENT_FULL`);
    const row = page.locator('tr#ERR_CLIENT_FULL');
    assert.ok(await row.isVisible());
    assert.match(await row.innerText(), /409/);
    assert.ok(await row.evaluate((el) => el.matches(':target')), 'the link lands on its row');

    await assertAccessibleBasics(page, '/docs');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 360 px');
    assert.deepEqual(errors, []);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/chromium-docs-errors.png' });
    await page.close();
  });
});
