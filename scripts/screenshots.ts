/**
 * `npm run screenshots`: the README's pictures of /docs, /dashboard and /demo (docs/img/), taken
 * in Debian's Chromium from a real run: `npm run demo` (sealpush and the example application),
 * Node SDK clients of both apps, and slow jobs submitted to the application for about a
 * minute, so that the dashboard's chart has something to show. Needs `npm run build` first
 * and /usr/bin/chromium; shrinks the PNGs with pngquant when it is installed. Not a test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { connect, type SealPushClient } from '../src/client/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${ROOT}docs/img/`;
const TRAFFIC_SECONDS = Number(process.env.TRAFFIC_SECONDS ?? 60);

const demo = spawn(process.execPath, [`${ROOT}examples/slow-job/demo.mjs`], {
  env: { ...process.env, SEALPUSH_PORT: '0', PORT: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let banner = '';
demo.stdout.on('data', (chunk: Buffer) => (banner += chunk.toString()));

async function main(): Promise<void> {
  const [, dataDir, sealpushUrl, appUrl] = await waitFor(() => /data in (\S+), deleted[\s\S]*open {2}(\S+)\/demo\?app=(\S+)/.exec(banner));
  const config = (await (await fetch(`${appUrl}/config`)).json()) as { serverKey: string; apps: Record<'direct' | 'cohort', { appId: string }> };
  const made = spawnSync(process.execPath, [`${ROOT}bin/sealpush.js`, 'admin', 'create', '--name', 'screenshots', '--json', '--data', dataDir!], { encoding: 'utf8' });
  const { token } = JSON.parse(made.stdout) as { token: string };

  // Clients of both apps, and jobs for them at a rate that rises and falls.
  const clients: SealPushClient[] = [];
  for (let i = 0; i < 12; i++) {
    const mode = i % 3 === 0 ? 'cohort' : 'direct';
    const client = await connect({ url: sealpushUrl!, appId: config.apps[mode].appId, serverKey: config.serverKey });
    client.on('message', () => {});
    clients.push(Object.assign(client, { mode }));
  }
  const started = Date.now();
  for (let second = 0; second < TRAFFIC_SECONDS; second++) {
    const rate = Math.round(6 + 5 * Math.sin(second / 7) + (second % 11 === 0 ? 8 : 0));
    await Promise.all(Array.from({ length: rate }, (_, j) => {
      const client = clients[(second + j) % clients.length]! as SealPushClient & { mode: string };
      return fetch(`${appUrl}/jobs`, { method: 'POST', body: JSON.stringify({ clientId: client.clientId, seconds: 0.2, mode: client.mode }) });
    }));
    await sleep(started + (second + 1) * 1000 - Date.now());
  }
  await fetch(`${sealpushUrl}/v1/messages/x`); // one refused request for the failures panel
  await sleep(1500);

  const browser = await chromium.launch({
    executablePath: process.env.SEALPUSH_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(OUT, { recursive: true });
  try {
    const wide = await browser.newPage({ viewport: { width: 1000, height: 760 } });
    await wide.goto(`${sealpushUrl}/docs`);
    await shoot(wide, 'docs.png', false);

    await wide.goto(`${sealpushUrl}/dashboard`);
    await wide.fill('#token', token);
    await wide.click('button[type=submit]');
    await wide.locator('#board').waitFor({ state: 'visible' });
    await wide.click('#verify');
    await wide.locator('#audit-verification', { hasText: 'Verified' }).waitFor();
    await sleep(1500);
    await shoot(wide, 'dashboard.png', true);

    const phone = await browser.newPage({ viewport: { width: 360, height: 800 } });
    await phone.goto(`${sealpushUrl}/demo?app=${appUrl}`);
    await phone.check('#cohort').catch(() => {});
    await phone.click('#connect');
    await phone.locator('#status', { hasText: 'Connected' }).waitFor();
    await phone.fill('#seconds', '1');
    await phone.click('#start-job');
    await phone.locator('#result-body').waitFor({ state: 'visible', timeout: 20_000 });
    await sleep(2500); // a few more envelopes around the one that carried it
    await shoot(phone, 'demo.png', true);
  } finally {
    await browser.close();
    for (const client of clients) await client.close();
  }
}

async function shoot(page: Page, name: string, fullPage: boolean): Promise<void> {
  const raw = `${OUT}${name}.raw.png`;
  await page.screenshot({ path: raw, fullPage });
  const shrunk = spawnSync('pngquant', ['--quality', '60-85', '--strip', '--force', '--output', `${OUT}${name}`, raw]);
  if (shrunk.status === 0) spawnSync('rm', [raw]);
  else renameSync(raw, `${OUT}${name}`);
  console.log(`wrote docs/img/${name}`);
}

async function waitFor<T>(check: () => T | null | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out; demo printed:\n${banner}`);
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => demo.kill('SIGTERM'));
