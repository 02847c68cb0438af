import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../../src/client/index.js';
import { webhookSignature } from '../../src/drivers/webhooks/undici.js';
import { exited, runCli, runCommand, spawnServer, startExampleApp, type ServerProcess } from '../helpers/process.js';
import { freePort } from '../helpers/redis.js';
import { eventually, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { makeTestPki, type TestPki } from '../helpers/webhook-receiver.js';
import { setUpWebhooks, type WebhookSetup } from '../helpers/webhook-node.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/slow-job/', import.meta.url));

/** Runs examples/slow-job/client.mjs to its end (it must succeed); its output, stderr included. */
async function runExampleClient(env: Record<string, string>, args: string[]): Promise<string> {
  const { code, out, err } = await runCommand([process.execPath, `${EXAMPLE}client.mjs`, ...args], { env });
  assert.equal(code, 0, `${out}\n${err}`);
  return out + err;
}

/**
 * Runs examples/slow-job as its README says: the app server and the client as real processes;
 * once with direct delivery, once with the app created with its one cohort flag.
 */
for (const delivery of ['direct', 'cohort'] as const) describe(`examples/slow-job (${delivery} delivery)`, () => {
  let server: TestServer;
  let app: { appId: string; secret: string };
  let appServer: ChildProcess;
  let appUrl: string;

  before(async () => {
    server = await startTestServer();
    app = server.app;
    if (delivery === 'cohort') {
      const created = await runCli(['apps', 'create', 'slow-job', '--json', '--delivery', 'cohort', '--data', server.dataDir]);
      assert.equal(created.code, 0, created.stderr);
      app = JSON.parse(created.stdout) as { appId: string; secret: string };
    }
    ({ child: appServer, url: appUrl } = await startExampleApp({ SEALPUSH_URL: server.url, SEALPUSH_APP_ID: app.appId, SEALPUSH_APP_SECRET: app.secret }));
  });
  after(async () => {
    appServer.kill('SIGTERM');
    await exited(appServer);
    await server.close();
  });

  const runClient = (args: string[]): Promise<string> =>
    runExampleClient({ SEALPUSH_URL: server.url, SEALPUSH_APP_ID: app.appId, SEALPUSH_SERVER_KEY: server.identity.publicKey, APP_URL: appUrl }, args);

  test('the client submits a job, stays online, and prints the decrypted result', async () => {
    const out = await runClient(['--seconds', '0.3']);
    const jobId = /job (\S+) submitted/.exec(out)?.[1];
    assert.ok(jobId, out);
    const result = JSON.parse(/result: (.*)/.exec(out)![1]!) as { jobId: string; outcome: string };
    assert.deepEqual([result.jobId, result.outcome], [jobId, 'approved']);
  });

  test('the application answers CORS preflights and, without SEALPUSH_SERVER_KEY, says /config cannot be served', async () => {
    const preflight = await fetch(`${appUrl}/jobs`, { method: 'OPTIONS', headers: { origin: 'http://elsewhere.test', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-type/);
    const config = await fetch(`${appUrl}/config`);
    assert.equal(config.status, 503);
    assert.match(((await config.json()) as { error: string }).error, /SEALPUSH_SERVER_KEY/);
    // Only one app here: a cohort-mode job has no app to publish with.
    const job = await fetch(`${appUrl}/jobs`, { method: 'POST', body: JSON.stringify({ clientId: 'c_x', mode: 'cohort' }) });
    assert.equal(job.status, 400);
    assert.equal(job.headers.get('access-control-allow-origin'), '*');
  });

  test('the client goes offline while the job runs and gets the result when it comes back', async () => {
    const out = await runClient(['--seconds', '0.2', '--offline-for', '1']);
    const ids = [...out.matchAll(/client (\S+)$/gm)].map((m) => m[1]);
    assert.equal(ids.length, 2, out);
    assert.equal(ids[0], ids[1], 'resumed the same client id');
    assert.match(out, /result: \{"jobId"/);
  });
});

/**
 * examples/slow-job/webhooks.mjs, the README's "Hearing back": a real `sealpush serve` sends the
 * job's webhooks to it over https (a private CA through NODE_EXTRA_CA_CERTS; a loopback target,
 * allowed by SEALPUSH_WEBHOOK_ALLOW_PRIVATE=1); it verifies them and prints the final status.
 */
describe('examples/slow-job: the application hears back (webhooks.mjs)', () => {
  let pki: TestPki;
  let dataDir: string;
  let setup: WebhookSetup;
  let server: ServerProcess;
  let appServer: ChildProcess;
  let appUrl: string;
  let receiver: ChildProcess;
  let received = '';

  before(async () => {
    pki = makeTestPki();
    dataDir = tempDir();
    const port = await freePort();
    setup = await setUpWebhooks(dataDir, `https://127.0.0.1:${port}/webhooks`, {
      env: { NODE_EXTRA_CA_CERTS: pki.caFile, SEALPUSH_WEBHOOK_ALLOW_PRIVATE: '1' },
      config: { webhooks: { pollMs: 50 } },
    });
    server = await spawnServer(dataDir, setup.env);
    receiver = spawn(process.execPath, [`${EXAMPLE}webhooks.mjs`], {
      env: { ...process.env, WEBHOOK_SECRET: setup.endpoint.secret, TLS_CERT: join(pki.dir, 'leaf.pem'), TLS_KEY: join(pki.dir, 'leaf.key'), PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    receiver.stdout!.on('data', (chunk: Buffer) => (received += chunk.toString()));
    receiver.stderr!.on('data', (chunk: Buffer) => (received += chunk.toString()));
    await eventually(async () => (received.includes('listening on https://') ? true : undefined), 'webhooks.mjs listens');
    ({ child: appServer, url: appUrl } = await startExampleApp({ SEALPUSH_URL: server.url, SEALPUSH_APP_ID: setup.app.appId, SEALPUSH_APP_SECRET: setup.app.secret }));
  });
  after(async () => {
    for (const child of [appServer, receiver, server?.child]) {
      child?.kill('SIGTERM');
      if (child) await exited(child);
    }
    pki?.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the client gets its result, and webhooks.mjs prints the job acked, once', async () => {
    const out = await runExampleClient({ SEALPUSH_URL: server.url, SEALPUSH_APP_ID: setup.app.appId, SEALPUSH_SERVER_KEY: server.serverKey, APP_URL: appUrl }, ['--seconds', '0.2']);
    const jobId = /job (\S+) submitted/.exec(out)?.[1];
    assert.ok(jobId, out);
    await eventually(async () => (received.includes(`job ${jobId}: acked\n`) ? true : undefined), `webhooks.mjs printed "job ${jobId}: acked":\n${received}`);
    assert.equal(received.split(`job ${jobId}:`).length - 1, 1, received);
    assert.doesNotMatch(received, /refused/);
  });

  test('a request signed with another secret is answered 401 and prints no status', async () => {
    const body = JSON.stringify({ type: 'message.acked', timestamp: new Date().toISOString(), data: { id: 'job-forged', status: 'acked' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'content-type': 'application/json', 'webhook-id': 'evt_forged', 'webhook-timestamp': String(timestamp),
      'webhook-signature': webhookSignature('evt_forged', timestamp, body, [new Uint8Array(32).fill(5)]) };
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpsRequest(setup.endpoint.url, { method: 'POST', headers, ca: readFileSync(pki.caFile) }, (res) => resolve(res.resume().statusCode));
      req.on('error', reject).end(body);
    });
    assert.equal(status, 401);
    await eventually(async () => (received.includes('refused a request: ERR_AUTH_SIGNATURE') ? true : undefined), 'webhooks.mjs says why');
    assert.doesNotMatch(received, /job forged/);
  });
});

describe('npm run demo (examples/slow-job/demo.mjs)', () => {
  test('starts sealpush and the example app on a throwaway data directory, serves /demo with both modes, and deletes it all on SIGTERM', async () => {
    const child = spawn(process.execPath, [`${EXAMPLE}demo.mjs`], {
      env: { ...process.env, SEALPUSH_PORT: '0', PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /data in (\S+), deleted on exit[\s\S]*open {2}(\S+)\/demo\?app=(\S+)/.exec(out);
        if (match) {
          clearInterval(timer);
          resolve(match);
        }
      }, 25);
      child.once('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`demo exited with ${code}:\n${out}`));
      });
    });
    const [, dataDir, sealpushUrl, appUrl] = ready as unknown as [string, string, string, string];
    try {
      assert.ok(existsSync(dataDir!));
      assert.equal((await fetch(`${sealpushUrl}/demo`)).status, 200);
      const config = (await (await fetch(`${appUrl}/config`)).json()) as { sealpushUrl: string; serverKey: string; apps: Record<string, { appId: string }> };
      assert.equal(config.sealpushUrl, sealpushUrl);
      assert.match(config.serverKey, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(Object.keys(config.apps).sort(), ['cohort', 'direct']);
      // The key the app hands out is the one the server holds: a client pinned to it connects.
      const client = await connect({ url: sealpushUrl, appId: config.apps.cohort!.appId, serverKey: config.serverKey });
      assert.match(client.clientId, /^c_/);
      await client.close();
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
    assert.equal(existsSync(dataDir!), false, 'the data directory is gone');
  });
});
