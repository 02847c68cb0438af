/**
 * docs/integrate.md, "Loading the browser SDK without a bundler", done for real: copy-sdk.sh
 * copies the published SDK (dist/) and its @hpke modules into a web root, an application on
 * another origin serves examples/integrate/browser/index.html from it, and Chromium loads it
 * with <script type="module"> and an import map. The page connects to sealpush, sends its
 * client id with the job request, and shows the result the application published to it;
 * reloaded, it resumes the same client from localStorage.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { SealPushApp } from '../../src/app/index.js';
import { chromiumMissing, launchChromium } from '../helpers/requirements.js';
import { serveStatic } from '../helpers/static-server.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const skip = chromiumMissing();
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = `${ROOT}examples/integrate/browser/`;

describe('the browser SDK in a page of another origin, without a bundler (docs/integrate.md)', { skip }, () => {
  let server: TestServer;
  let webRoot: string;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  let browser: Browser;
  const jobs: unknown[] = [];

  /** The application's job route: it takes the client id from the request and publishes the result to it. */
  function jobRoute(app: SealPushApp) {
    return (req: IncomingMessage, res: ServerResponse): void => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const job = JSON.parse(body) as { clientId: string; report: string };
        jobs.push(job);
        app.publish({ to: job.clientId, data: { report: job.report, rows: 3 }, id: `job-${jobs.length}` }).then(
          () => res.writeHead(202).end(),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      });
    };
  }

  before(async () => {
    assert.ok(existsSync(`${ROOT}dist/client/index.js`), 'the published SDK is built: run `npm run build` first');
    server = await startTestServer();
    webRoot = tempDir('sealpush-webroot-');
    const copied = spawnSync('sh', [`${EXAMPLE}copy-sdk.sh`, webRoot], {
      cwd: ROOT,
      env: { ...process.env, SEALPUSH_PACKAGE: ROOT }, // in an application: node_modules/sealpush, the default
      encoding: 'utf8',
    });
    assert.equal(copied.status, 0, copied.stderr);
    const app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
    site = await serveStatic(webRoot, { '/': readFileSync(`${EXAMPLE}index.html`, 'utf8') }, {}, { '/jobs': jobRoute(app) });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await server?.close();
    if (webRoot) rmSync(webRoot, { recursive: true, force: true });
  });

  test('loads the SDK as copied, gets a client id, sends it with the job and receives the result; a reload resumes', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    const query = new URLSearchParams({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    await page.goto(`${site.url}/?${query}`);
    await page.waitForSelector('#start:not([disabled])', { timeout: 20_000 });
    const clientId = await page.textContent('#client-id');
    assert.match(clientId ?? '', /^[A-Za-z0-9_-]{16,64}$/);

    await page.click('#start');
    await page.waitForSelector('#results li', { timeout: 20_000 });
    assert.deepEqual(jobs, [{ clientId, report: 'sales-2026' }]);
    assert.equal(await page.textContent('#results li'), 'job-1: {"report":"sales-2026","rows":3}');
    assert.equal(await page.textContent('#status'), 'Job accepted: the result will arrive here.');

    await page.reload();
    await page.waitForSelector('#start:not([disabled])', { timeout: 20_000 });
    assert.equal(await page.textContent('#client-id'), clientId, 'the session in localStorage resumes the same client');
    assert.equal(await page.locator('#results li').count(), 0, 'the acked result is not delivered again');
    assert.deepEqual(problems, []);
    await page.close();
  });
});
