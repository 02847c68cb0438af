import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { base64urlDecode } from '../../src/crypto/encoding.js';
import { fingerprint } from '../../src/crypto/node/keys.js';
import { chromiumMissing, launchChromium } from '../helpers/requirements.js';
import { assertAccessibleBasics } from '../helpers/a11y.js';
import { exited, startExampleApp } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const skip = chromiumMissing();
/** Arrival waits: generous, since they wait for an event, never for a time. */
const ARRIVAL = { timeout: 20_000 };

interface FrameRow {
  size: number;
  kind: string;
  carries: number;
  yours: boolean;
  hex: string;
}

/**
 * /demo as a person uses it, on a 360 px screen: sealpush serves the page and the SDK, the
 * example application (examples/slow-job, a real process) serves /config and /jobs on another
 * origin, and Chromium runs the whole flow, in direct delivery and then in cohort delivery.
 */
describe('/demo in headless Chromium: the slow job, direct and cohort', { skip }, () => {
  let server: TestServer;
  let appServer: ChildProcess;
  let appUrl: string;
  let browser: Browser;

  before(async () => {
    server = await startTestServer();
    const cohortApp = await server.createApp('slow-job-cohort');
    await server.updateApp(cohortApp.appId, { delivery: 'cohort' }); // the default 1 s tick
    ({ child: appServer, url: appUrl } = await startExampleApp({
      SEALPUSH_URL: server.url,
      SEALPUSH_APP_ID: server.app.appId,
      SEALPUSH_APP_SECRET: server.app.secret,
      SEALPUSH_COHORT_APP_ID: cohortApp.appId,
      SEALPUSH_COHORT_APP_SECRET: cohortApp.secret,
      SEALPUSH_SERVER_KEY: server.identity.publicKey,
    }));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    appServer?.kill('SIGTERM');
    if (appServer) await exited(appServer);
    await server?.close();
  });

  const frameRows = (page: Page): Promise<FrameRow[]> =>
    page.locator('#frames li.frame').evaluateAll((rows) =>
      rows.map((row) => ({
        size: Number((row as HTMLElement).dataset.size),
        kind: (row as HTMLElement).dataset.kind ?? '',
        carries: Number((row as HTMLElement).dataset.carries),
        yours: row.classList.contains('yours'),
        hex: row.querySelector('.frame-hex-full')?.textContent ?? '',
      })));

  /** Starts a 1 s job, waits for its decrypted result, and returns the job id the page showed. */
  async function runJob(page: Page): Promise<string> {
    const previous = (await page.locator('#job-status').getAttribute('data-job-id')) ?? '';
    await page.fill('#seconds', '1');
    await page.click('#start-job');
    // The job id and the waiting line, read together when the application has answered.
    const started = await page.waitForFunction((before) => {
      const status = document.getElementById('job-status')!;
      const id = status.dataset.jobId;
      return id !== undefined && id !== before ? { id, text: status.textContent ?? '' } : undefined;
    }, previous, ARRIVAL);
    const { id: jobId, text } = (await started.jsonValue())!;
    assert.match(text, /^Job \S+ started \(1 s\)\. Waiting… \(you may close the tab/);
    await page.waitForFunction((id) => document.getElementById('result-job-id')?.textContent === id, jobId, ARRIVAL);
    assert.equal(await page.locator('#result-outcome').innerText(), 'approved');
    const result = JSON.parse(await page.locator('#result-json').innerText()) as { jobId: string; outcome: string };
    assert.deepEqual([result.jobId, result.outcome], [jobId, 'approved']);
    return jobId;
  }

  test('connects with the pinned key, shows each sealed frame, and the decrypted result arrives', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    const elsewhere: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('response', (res) => {
      if (res.status() >= 400) errors.push(`${res.status()} ${res.url()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(`${server.url}/`) && !request.url().startsWith(`${appUrl}/`)) elsewhere.push(request.url());
    });
    const expectedFingerprint = fingerprint(base64urlDecode(server.identity.publicKey));
    assert.equal(expectedFingerprint, server.identity.fingerprint);

    const response = await page.goto(`${server.url}/demo?app=${encodeURIComponent(appUrl)}`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.inputValue('#app-url'), appUrl);

    // Direct delivery: the result comes in one DELIVER frame the moment it is published.
    await page.click('#connect');
    await page.waitForFunction(() => document.getElementById('client-id')?.textContent?.startsWith('c_'), null, ARRIVAL);
    const directClient = await page.locator('#client-id').innerText();
    assert.match(directClient, /^c_[A-Za-z0-9_-]+$/);
    assert.equal(await page.locator('#fingerprint').innerText(), expectedFingerprint);
    assert.equal(await page.locator('#mode').innerText(), 'direct');
    assert.equal(await page.locator('#app-id').innerText(), server.app.appId);
    assert.equal(await page.locator('#cohort').isDisabled(), false);

    const directJob = await runJob(page);
    const carrier = (await frameRows(page)).find((row) => row.yours);
    assert.ok(carrier, 'the frame that carried the result is marked');
    assert.equal(carrier.kind, 'deliver');
    assert.equal(carrier.carries, 1);
    assert.match(carrier.hex, /^[0-9a-f]+$/);
    assert.ok(carrier.size > 0);
    assert.equal(carrier.size, carrier.hex.length / 2);
    const decrypted = page.locator('#frames li.frame.yours .frame-messages pre');
    assert.equal((JSON.parse(await decrypted.innerText()) as { jobId: string }).jobId, directJob);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    await assertAccessibleBasics(page, 'the demo');
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/chromium-demo.png', fullPage: true });

    // Cohort delivery: the toggle reconnects to the cohort app, as another client.
    await page.check('#cohort');
    await page.waitForFunction(
      (previous) => {
        const id = document.getElementById('client-id')?.textContent ?? '';
        return document.getElementById('mode')?.textContent === 'cohort' && id.startsWith('c_') && id !== previous;
      },
      directClient,
      ARRIVAL,
    );
    assert.equal(await page.locator('#fingerprint').innerText(), expectedFingerprint);
    assert.ok(await page.locator('#cohort-explain').isVisible());
    const cohortJob = await runJob(page);
    assert.notEqual(cohortJob, directJob);
    // Wait for one more tick after the carrier: an empty envelope next to it on the page.
    await page.waitForFunction(
      () => {
        const rows = Array.from(document.querySelectorAll<HTMLElement>('#frames li.frame'));
        const carrierAt = rows.findIndex((row) => row.classList.contains('yours'));
        return carrierAt > 0 && rows.slice(0, carrierAt).some((row) => row.dataset.carries === '0');
      },
      null,
      ARRIVAL,
    );
    const envelopes = (await frameRows(page)).filter((row) => row.kind === 'cohort');
    const cohortCarrier = envelopes.find((row) => row.yours);
    assert.ok(cohortCarrier, 'the envelope that carried the result is marked');
    assert.equal(cohortCarrier.size, cohortCarrier.hex.length / 2);
    // docs/cohort.md: an envelope is 32 + appId bytes + slotCount x slotBytes, with the smallest
    // slot size that holds every member's bundle. This result (about 200 bytes of bundle) fits
    // the default smallest slot (212 bytes of bundle), so the envelope that carries it has the
    // same size as the empty ones around it: the size does not say that it carried anything.
    const empty = envelopes.filter((row) => row.carries === 0);
    assert.ok(empty.length >= 1, 'at least one envelope with nothing for this client');
    for (const row of empty) assert.equal(row.size, cohortCarrier.size);
    assert.ok(envelopes.length >= 2);

    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    await assertAccessibleBasics(page, 'the demo');
    assert.deepEqual(errors, []);
    assert.deepEqual(elsewhere, []);
    await page.screenshot({ path: 'test-results/chromium-demo-cohort.png', fullPage: true });
    await context.close();
  });

  test('says in plain words, with a code, when the application is unreachable, has no key, or pins the wrong one', async () => {
    // A stand-in application whose /config is whatever the step below sets.
    let config: { status: number; body: unknown } = { status: 503, body: { error: 'SEALPUSH_SERVER_KEY is not set' } };
    const fake = createServer((_req, res) => {
      res.writeHead(config.status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' }).end(JSON.stringify(config.body));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const statusMatches = (pattern: RegExp) =>
      page.waitForFunction((source) => new RegExp(source).test(document.getElementById('status')?.textContent ?? ''), pattern.source, ARRIVAL);

    // Port 9 (discard): nothing listens on it here, and Chromium refuses it as an unsafe port anyway.
    await page.goto(`${server.url}/demo?app=${encodeURIComponent('http://127.0.0.1:9')}`);
    await page.click('#connect');
    await statusMatches(/APP_UNREACHABLE/);
    assert.match(await page.locator('#status').innerText(), /^Cannot reach the application at http:\/\/127\.0\.0\.1:9\./);

    await page.fill('#app-url', fakeUrl);
    await page.click('#connect');
    await statusMatches(/HTTP 503/);
    assert.match(await page.locator('#status').innerText(), /SEALPUSH_SERVER_KEY is not set \(HTTP 503\)$/);

    config = { status: 200, body: { sealpushUrl: server.url, serverKey: randomBytes(32).toString('base64url'), apps: { direct: { appId: server.app.appId } } } };
    await page.click('#connect');
    await statusMatches(/ERR_HANDSHAKE/);
    assert.match(await page.locator('#status').innerText(), /^The secure handshake failed/);
    assert.equal(await page.locator('#start-job').isDisabled(), true);
    assert.equal(await page.locator('#cohort').isDisabled(), true, 'no cohort app: the toggle is off');
    assert.ok(await page.locator('#cohort-note').isVisible());
    assert.deepEqual(errors, []);
    await context.close();
    await new Promise((resolve) => fake.close(resolve));
  });
});
