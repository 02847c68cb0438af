// Floods on a real server: bad signatures from one address are refused with 429 before any
// signature work once they pass the failed-authentication limit, and the audit log grows by a
// bounded number of rows that count every refusal; a flood from many addresses is bounded
// too. Reads past their limit get 429, and so do new clients past the registrations limit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { connect } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { RequestSigner } from '../../src/app/signing.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const FLOOD = 3000;
/** Failed authentications one address may have: refilled at one per 1000 s, so nothing refills while the test runs. */
const FAILED_AUTH_BURST = 20;
/** The failure past the budget is verified (and answered 401) too: it is the one that finds the budget spent. */
const VERIFIED = FAILED_AUTH_BURST + 1;

interface Refusal { app: string | null; scheme: string; code: string; remote: string | null; count: number; otherClaims: number; from: number; to: number }

function refusalRows(dataDir: string): Refusal[] {
  const db = new Database(join(dataDir, 'sealpush.db'), { readonly: true });
  try {
    const rows = db.prepare("SELECT fields FROM audit_log WHERE kind IN ('auth-failure', 'replay-refused') ORDER BY seq").all() as { fields: string }[];
    return rows.map((row) => JSON.parse(row.fields) as Refusal);
  } finally {
    db.close();
  }
}

function auditRowCount(dataDir: string): number {
  const db = new Database(join(dataDir, 'sealpush.db'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A POST /v1/messages from `forwardedFor` (trustProxy is on), signed with the app's secret, or with a wrong signature. */
async function publishFrom(server: TestServer, forwardedFor: string, badSignature: boolean): Promise<{ status: number; code: string | undefined; retryAfter: string | null }> {
  const body = JSON.stringify({ to: 'c_nobody', data: 1 });
  let authorization = await new RequestSigner(server.app.appId, server.app.secret).authorization({ method: 'POST', pathWithQuery: '/v1/messages', body: new TextEncoder().encode(body) });
  if (badSignature) authorization = authorization.replace(/sig=[A-Za-z0-9_-]+/, `sig=${randomBytes(32).toString('base64url')}`);
  const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor, authorization }, body });
  const answer = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: answer.error?.code, retryAfter: res.headers.get('retry-after') };
}

async function metric(server: TestServer, code: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(new RegExp(`^sealpush_auth_failures_total\\{code="${code}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

describe('a flood of bad signatures', () => {
  const dataDir = tempDir();
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      dataDir,
      trustProxy: true,
      limits: { failedAuthsPerSecondPerIp: 0.001, failedAuthBurstPerIp: FAILED_AUTH_BURST },
      // One interval for the whole flood: the drain writes it.
      audit: { refusalIntervalSeconds: 3600, maxRefusalSources: 10 },
    });
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test(`${FLOOD} bad signatures from one address: once past ${FAILED_AUTH_BURST} the rest get 429 before any signature work, and the audit log gains two rows that count them all`, async () => {
    const rowsBefore = auditRowCount(dataDir);
    const attacker = '203.0.113.7';
    // One at a time first, so the point where the limit takes over is exact.
    const first = [];
    for (let i = 0; i < VERIFIED + 10; i++) first.push(await publishFrom(server, attacker, true));
    assert.deepEqual(first.slice(0, VERIFIED).map((r) => `${r.status} ${r.code}`), Array(VERIFIED).fill('401 ERR_AUTH_SIGNATURE'));
    assert.deepEqual(first.slice(VERIFIED).map((r) => `${r.status} ${r.code}`), Array(10).fill('429 ERR_RATE_LIMITED'));
    assert.ok(Number(first.at(-1)!.retryAfter) >= 1, 'Retry-After says when');
    // Then the rest as a flood, 100 at a time.
    for (let sent = first.length; sent < FLOOD; sent += 100) {
      const answers = await Promise.all(Array.from({ length: Math.min(100, FLOOD - sent) }, () => publishFrom(server, attacker, true)));
      assert.deepEqual(new Set(answers.map((r) => `${r.status} ${r.code}`)), new Set(['429 ERR_RATE_LIMITED']));
    }
    // Refused before verification: a genuine signature from that address is refused too (and burns no nonce)...
    assert.deepEqual(await publishFrom(server, attacker, false).then((r) => [r.status, r.code]), [429, 'ERR_RATE_LIMITED']);
    // ...while another address is served, and the counters stay exact, one per request.
    assert.deepEqual(await publishFrom(server, '198.51.100.1', false).then((r) => [r.status, r.code]), [404, 'ERR_NOT_FOUND']);
    assert.equal(await metric(server, 'ERR_AUTH_SIGNATURE'), VERIFIED, 'only those were verified');
    assert.equal(await metric(server, 'ERR_RATE_LIMITED'), FLOOD - VERIFIED + 1);

    await server.close();
    const refusals = refusalRows(dataDir);
    assert.equal(auditRowCount(dataDir) - rowsBefore, 2, 'one row per (address, code) for the interval');
    assert.deepEqual(refusals.map(({ remote, code, count, app }) => ({ remote, code, count, app })), [
      { remote: attacker, code: 'ERR_AUTH_SIGNATURE', count: VERIFIED, app: server.app.appId },
      { remote: attacker, code: 'ERR_RATE_LIMITED', count: FLOOD - VERIFIED + 1, app: server.app.appId },
    ]);
  });
});

describe('a flood of bad signatures from many addresses', () => {
  const dataDir = tempDir();
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ dataDir, trustProxy: true, audit: { refusalIntervalSeconds: 3600, maxRefusalSources: 10 } });
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('500 addresses: 10 rows of their own, the other 490 counted in one row, every refusal counted once', async () => {
    const rowsBefore = auditRowCount(dataDir);
    for (let batch = 0; batch < 5; batch++) {
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => publishFrom(server, `198.18.${batch}.${i}`, true)));
      assert.deepEqual(new Set(answers.map((r) => r.status)), new Set([401]));
    }
    await server.close();
    assert.equal(auditRowCount(dataDir) - rowsBefore, 11);
    const refusals = refusalRows(dataDir);
    assert.equal(refusals.filter((r) => r.remote !== null).length, 10);
    assert.deepEqual(refusals.filter((r) => r.remote === null).map((r) => [r.code, r.count]), [['ERR_AUTH_SIGNATURE', 490]]);
    assert.equal(refusals.reduce((sum, r) => sum + r.count, 0), 500);
  });
});

describe('reads and registrations past their limits', () => {
  let server: TestServer;
  let app: SealPushApp;

  before(async () => {
    // Bursts refilled at one per 1000 s: nothing refills while the test runs.
    server = await startTestServer({ limits: { readsPerSecondPerApp: 0.001, readBurstPerApp: 3, registrationsPerSecondPerApp: 0.001, registrationBurstPerApp: 2 } });
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(() => server.close());

  test('an app past its reads per second gets 429 ERR_RATE_LIMITED on every read route; another app reads on', async () => {
    await assert.rejects(app.status('m-1'), { code: 'ERR_NOT_FOUND' });
    await assert.rejects(app.client('c_nobody'), { code: 'ERR_NOT_FOUND' });
    await assert.rejects(app.receipt('m-1'), { code: 'ERR_NOT_FOUND' });
    await assert.rejects(app.status('m-1'), { code: 'ERR_RATE_LIMITED' });
    await assert.rejects(app.client('c_nobody'), { code: 'ERR_RATE_LIMITED' });
    await assert.rejects(app.receipt('m-1'), { code: 'ERR_RATE_LIMITED' });
    const path = '/v1/messages/m-1';
    const authorization = await new RequestSigner(server.app.appId, server.app.secret).authorization({ method: 'GET', pathWithQuery: path, body: new Uint8Array(0) });
    const raw = await fetch(server.url + path, { headers: { authorization } });
    assert.equal(raw.status, 429);
    assert.ok(Number(raw.headers.get('retry-after')) >= 1);
    const other = await server.createApp('other');
    await assert.rejects(new SealPushApp({ url: server.url, appId: other.appId, secret: other.secret }).status('m-1'), { code: 'ERR_NOT_FOUND' });
  });

  test('an app past its new clients per second: the next new client is closed with ERR_RATE_LIMITED (transient); known clients resume', async () => {
    const options = { url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, reconnect: false as const };
    const first = await connect(options);
    const second = await connect(options);
    await assert.rejects(connect(options), { code: 'ERR_RATE_LIMITED' });
    const session = first.session();
    await first.close();
    const again = await connect({ ...options, session });
    assert.equal(again.clientId, session.clientId, 'a known static key is no registration');
    await Promise.all([again.close(), second.close()]);
  });
});
