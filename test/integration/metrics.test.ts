import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { connect } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { collect } from '../helpers/messages.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

/** Prometheus text -> value per series (`name` or `name{labels}` exactly as written). */
function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

describe('GET /metrics on the real server', () => {
  let server: TestServer;
  let app: SealPushApp;

  before(async () => {
    // The sweeper marks the TTL-1 message expired soon after its second.
    server = await startTestServer({ sweepIntervalMs: 200 });
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(() => server.close());

  async function scrape(): Promise<Map<string, number>> {
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    return parseMetrics(await response.text());
  }

  /** A status request signed by hand, so that the very same header can be sent twice. */
  function statusRequest(messageId: string, secret = server.app.secret): { path: string; authorization: string } {
    const path = `/v1/messages/${messageId}`;
    const ts = Math.floor(Date.now() / 1000);
    const nonce = randomBytes(16).toString('base64url');
    const canonical = `GET\n${path}\n${ts}\n${nonce}\n${createHash('sha256').update('').digest('hex')}`;
    const sig = createHmac('sha256', Buffer.from(secret, 'base64url')).update(canonical).digest('base64url');
    return { path, authorization: `SEALPUSH-HMAC-SHA256 app=${server.app.appId},ts=${ts},nonce=${nonce},sig=${sig}` };
  }

  async function send(request: { path: string; authorization: string }): Promise<{ status: number; code?: string }> {
    const response = await fetch(server.url + request.path, { headers: { authorization: request.authorization } });
    const body = (await response.json()) as { error?: { code: string } };
    return { status: response.status, ...(body.error ? { code: body.error.code } : {}) };
  }

  test('counters move by exactly the traffic, histograms observe it, the connection gauge comes back down', async () => {
    const start = await scrape();
    const delta = (now: Map<string, number>, name: string): number => (now.get(name) ?? 0) - (start.get(name) ?? 0);
    assert.ok(start.has('nodejs_eventloop_lag_seconds'), 'default metrics are included');
    assert.ok(start.has('sealpush_queue_depth'));

    const c1 = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    const c2 = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    let now = await scrape();
    assert.equal(delta(now, 'sealpush_connections'), 2);
    assert.equal(delta(now, 'sealpush_handshakes_total{result="ok"}'), 2);

    // Three messages delivered live to c1, which acks them (the SDK acks what it handed over).
    const received = collect(c1, 3);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await app.publish({ to: c1.clientId, data: { i } })).id);
    assert.equal((await received).length, 3);
    await eventually(async () => (delta(await scrape(), 'sealpush_messages_acked_total') >= 3 ? true : undefined), 'three acks counted');

    // One request with a bad signature, one replayed.
    assert.deepEqual(await send(statusRequest(ids[0]!, randomBytes(32).toString('base64url'))), { status: 401, code: 'ERR_AUTH_SIGNATURE' });
    const once = statusRequest(ids[0]!);
    assert.equal((await send(once)).status, 200);
    assert.deepEqual(await send(once), { status: 401, code: 'ERR_AUTH_REPLAY' });

    // One message that waits offline past its TTL of 1 s: the sweeper expires it.
    const offline = c2.clientId;
    await c2.close();
    await app.publish({ to: offline, data: 'too late', ttl: 1 });
    await eventually(async () => (delta(await scrape(), 'sealpush_messages_expired_total') >= 1 ? true : undefined), 'the expiry counted', 15_000);

    await c1.close();
    now = await eventually(async () => {
      const scraped = await scrape();
      return delta(scraped, 'sealpush_connections') === 0 ? scraped : undefined;
    }, 'the connections gauge back down');

    assert.equal(delta(now, 'sealpush_handshakes_total{result="ok"}'), 2);
    assert.equal(delta(now, 'sealpush_messages_published_total'), 4);
    assert.equal(delta(now, 'sealpush_messages_delivered_total'), 3);
    assert.equal(delta(now, 'sealpush_messages_acked_total'), 3);
    assert.equal(delta(now, 'sealpush_messages_expired_total'), 1);
    assert.equal(delta(now, 'sealpush_auth_failures_total{code="ERR_AUTH_SIGNATURE"}'), 1);
    assert.equal(delta(now, 'sealpush_auth_failures_total{code="ERR_AUTH_REPLAY"}'), 1);
    assert.equal(delta(now, 'sealpush_delivery_latency_seconds_count'), 3, 'each live delivery observed once');
    assert.ok(delta(now, 'sealpush_store_commit_seconds_count') >= 1, 'commits observed');
    assert.equal(now.get('sealpush_queue_depth'), 0, 'nothing waits for a commit');
  });

  test('no client id, message id or app id appears in the metrics', async () => {
    const c = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    const received = collect(c, 1);
    const { id } = await app.publish({ to: c.clientId, data: 'x' });
    await received;
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const value of [c.clientId, id, server.app.appId, server.app.secret]) assert.ok(!text.includes(value), `${value} in /metrics`);
    await c.close();
  });

  test('a handshake refused is counted under its code', async () => {
    const before = await scrape();
    // A server key other than the server's: the Noise handshake fails (ERR_HANDSHAKE).
    const wrongKey = randomBytes(32).toString('base64url');
    await assert.rejects(connect({ url: server.url, appId: server.app.appId, serverKey: wrongKey, reconnect: false }));
    const after = await eventually(async () => {
      const scraped = await scrape();
      return (scraped.get('sealpush_handshakes_total{result="ERR_HANDSHAKE"}') ?? 0) > (before.get('sealpush_handshakes_total{result="ERR_HANDSHAKE"}') ?? 0) ? scraped : undefined;
    }, 'the refused handshake counted');
    assert.equal((after.get('sealpush_handshakes_total{result="ERR_HANDSHAKE"}') ?? 0) - (before.get('sealpush_handshakes_total{result="ERR_HANDSHAKE"}') ?? 0), 1);
    assert.equal(after.get('sealpush_handshakes_total{result="ok"}'), before.get('sealpush_handshakes_total{result="ok"}'));
  });
});

describe('metrics: false', () => {
  test('/metrics is not served', async () => {
    const server = await startTestServer({ metrics: false });
    try {
      const response = await fetch(`${server.url}/metrics`);
      assert.equal(response.status, 404);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'ERR_NOT_FOUND');
    } finally {
      await server.close();
    }
  });
});
