import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { connect } from '../../src/client/index.js';
import { SealPushApp } from '../../src/app/index.js';
import { RequestSigner } from '../../src/app/signing.js';
import { parseAdminToken } from '../../src/crypto/node/admin-token.js';
import { collect } from '../helpers/messages.js';
import { exited, runCli, spawnServer } from '../helpers/process.js';
import { eventually, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

interface Overview {
  serverKeyFingerprint: string;
  uptimeSeconds: number;
  connections: number;
  apps: { appId: string; name: string; connections: number; pending: number; webhooks: { endpoints: number; failing: number; paused: number; failedEvents: number } }[];
  nodes: { nodeId: string; self: boolean; connections: number; uptimeSeconds: number; reportedAt: string }[];
  partial: boolean;
}

describe('/v1/admin behind an admin token, on the real server', () => {
  let server: TestServer;
  let token: string;
  let tokenId: string;

  before(async () => {
    server = await startTestServer({ audit: { refusalIntervalSeconds: 1 } });
    const created = await runCli(['--data', server.dataDir, 'admin', 'create', '--name', 'ops', '--json']);
    assert.equal(created.code, 0, created.stderr);
    ({ token, id: tokenId } = JSON.parse(created.stdout) as { token: string; id: string });
  });
  after(() => server.close());

  async function get(path: string, authorization?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(server.url + path, authorization === undefined ? {} : { headers: { authorization } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  const codeOf = (body: Record<string, unknown>): unknown => (body.error as { code?: string } | undefined)?.code;
  const overview = async (): Promise<Overview> => {
    const res = await get('/v1/admin/overview', `Bearer ${token}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as unknown as Overview;
  };
  const mine = (o: Overview) => o.apps.find((a) => a.appId === server.app.appId)!;

  test('admin create prints the token once; no data file holds the token or its secret', async () => {
    assert.match(token, /^sp_admin_[A-Za-z0-9-]{16}_[A-Za-z0-9_-]{43}$/);
    const secret = parseAdminToken(token)!.secret; // it may hold '_' itself: never split on the last one
    const human = await runCli(['--data', server.dataDir, 'admin', 'create']);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout.match(/sp_admin_/g)?.length, 1, 'the token is printed exactly once');
    for (const name of readdirSync(server.dataDir)) {
      const bytes = readFileSync(join(server.dataDir, name));
      assert.equal(bytes.includes(secret), false, `${name} holds the secret`);
      assert.equal(bytes.includes(token), false, `${name} holds the token`);
    }
  });

  test('without a token, with a wrong one, with an app HMAC signature or a JWT-shaped bearer: 401, and the refusals are audited', async () => {
    const before = (await get('/v1/admin/audit', `Bearer ${token}`)).body.headSeq as number;
    assert.deepEqual([(await get('/v1/admin/overview')).status, codeOf((await get('/v1/admin/overview')).body)], [401, 'ERR_AUTH_MISSING']);
    const wrongSecret = `sp_admin_${tokenId}_${'A'.repeat(43)}`;
    const unknownId = `sp_admin_${'B'.repeat(16)}_${parseAdminToken(token)!.secret}`;
    for (const bad of [`Bearer ${wrongSecret}`, `Bearer ${unknownId}`, 'Bearer a.b.c', token]) {
      const res = await get('/v1/admin/overview', bad);
      assert.deepEqual([res.status, codeOf(res.body)], [401, 'ERR_AUTH_SIGNATURE'], bad.slice(0, 20));
    }
    const signer = new RequestSigner(server.app.appId, server.app.secret);
    const signed = await get('/v1/admin/audit', await signer.authorization({ method: 'GET', pathWithQuery: '/v1/admin/audit', body: new Uint8Array(0) }));
    assert.deepEqual([signed.status, codeOf(signed.body)], [401, 'ERR_AUTH_SIGNATURE'], 'an app signature is no admin credential');
    // Counted per address and code each second (audit.refusalIntervalSeconds): 2 missing, 5 bad signatures.
    const counts = await eventually(async () => {
      const db = new Database(join(server.dataDir, 'sealpush.db'), { readonly: true });
      try {
        const rows = db.prepare("SELECT fields FROM audit_log WHERE seq > ? AND kind = 'auth-failure'").all(before) as { fields: string }[];
        const counted = rows.map((r) => JSON.parse(r.fields) as { code: string; count: number });
        return counted.reduce((sum, f) => sum + f.count, 0) >= 7 ? counted : undefined;
      } finally {
        db.close();
      }
    }, 'the seven refusals counted in the audit chain');
    const total = (code: string) => counts.filter((f) => f.code === code).reduce((sum, f) => sum + f.count, 0);
    assert.deepEqual([total('ERR_AUTH_MISSING'), total('ERR_AUTH_SIGNATURE')], [2, 5]);
  });

  test('an admin token is refused on the app routes', async () => {
    const res = await get('/v1/clients/c_nobody', `Bearer ${token}`);
    assert.deepEqual([res.status, codeOf(res.body)], [401, 'ERR_AUTH_MISSING']);
  });

  test("overview: an app's webhooks, counted, and failing once its attempts fail", async () => {
    assert.deepEqual(mine(await overview()).webhooks, { endpoints: 0, failing: 0, paused: 0, failedEvents: 0 });
    // Loopback is refused without SEALPUSH_WEBHOOK_ALLOW_PRIVATE: every attempt fails.
    const added = await runCli(['--data', server.dataDir, 'webhooks', 'add', server.app.appId, '--url', 'https://127.0.0.1:9/hooks', '--json']);
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(mine(await overview()).webhooks, { endpoints: 1, failing: 0, paused: 0, failedEvents: 0 });
    const client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    const arrived = collect(client, 1);
    await new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret }).publish({ to: client.clientId, data: 'hook me' });
    await arrived;
    await client.close();
    await eventually(async () => (mine(await overview()).webhooks.failing === 1 ? true : undefined), 'the endpoint failing');
    const removed = await runCli(['--data', server.dataDir, 'webhooks', 'remove', (JSON.parse(added.stdout) as { id: string }).id]);
    assert.equal(removed.code, 0, removed.stderr);
  });

  test('overview: fingerprint, the connection count rises with a client, pending rises with a message for an offline one', async () => {
    const start = await overview();
    assert.equal(start.serverKeyFingerprint, server.identity.fingerprint);
    // One node without Redis: the view is this node's own, complete.
    assert.deepEqual(start.nodes.map((n) => [n.self, n.connections]), [[true, start.connections]]);
    assert.equal(start.partial, false);
    assert.equal(mine(start).name, 'test-app');
    const client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    const online = await overview();
    assert.equal(online.connections, start.connections + 1);
    assert.equal(mine(online).connections, mine(start).connections + 1);
    const clientId = client.clientId;
    await client.close();
    await eventually(async () => (mine(await overview()).connections === mine(start).connections ? true : undefined), 'the connection gone');
    const app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
    await app.publish({ to: clientId, data: { hello: 'offline' } });
    assert.equal(mine(await overview()).pending, mine(start).pending + 1);
  });

  test('audit: the head seq and the last checkpoint (null or seq and time)', async () => {
    const res = await get('/v1/admin/audit', `Bearer ${token}`);
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.headSeq, 'number');
    assert.ok((res.body.headSeq as number) >= 1, 'admin.create and the refusals are in the chain');
    const checkpoint = res.body.lastCheckpoint as { seq: number; at: string } | null;
    if (checkpoint !== null) assert.ok(checkpoint.seq <= (res.body.headSeq as number) && !Number.isNaN(Date.parse(checkpoint.at)));
  });

  test('throughput counts what this node published and delivered, per second; a bad seconds value is ERR_BAD_REQUEST', async () => {
    type Series = { intervalSeconds: number; endsAt: string; published: number[]; delivered: number[] };
    const series = async (): Promise<Series> => {
      const res = await get('/v1/admin/throughput?seconds=120', `Bearer ${token}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as unknown as Series;
    };
    const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
    const before = await series();
    assert.equal(before.intervalSeconds, 1);
    assert.equal(before.published.length, 120);
    assert.equal(before.delivered.length, 120);
    const client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
    const received: unknown[] = [];
    client.on('message', (m) => received.push(m.data));
    const app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
    await app.publishBatch(Array.from({ length: 7 }, (_, i) => ({ to: client.clientId, data: i })));
    await eventually(async () => (received.length === 7 ? true : undefined), 'the seven delivered');
    const after = await eventually(async () => {
      const now = await series();
      return sum(now.delivered) - sum(before.delivered) >= 7 ? now : undefined;
    }, 'the deliveries counted');
    assert.equal(sum(after.published) - sum(before.published), 7);
    assert.equal(sum(after.delivered) - sum(before.delivered), 7);
    await client.close();
    for (const bad of ['0', '601', 'abc', '-1', '1.5']) {
      const res = await get(`/v1/admin/throughput?seconds=${bad}`, `Bearer ${token}`);
      assert.deepEqual([res.status, codeOf(res.body)], [400, 'ERR_BAD_REQUEST'], bad);
    }
  });

  test('auth-failures lists the last refusals, newest first, with the code and what they claimed', async () => {
    const signer = new RequestSigner(server.app.appId, 'A'.repeat(43));
    const refused = await get('/v1/clients/c_x', await signer.authorization({ method: 'GET', pathWithQuery: '/v1/clients/c_x', body: new Uint8Array(0) }));
    assert.equal(refused.status, 401);
    assert.equal((await get('/v1/clients/c_y')).status, 401);
    const res = await get('/v1/admin/auth-failures', `Bearer ${token}`);
    assert.equal(res.status, 200);
    const failures = res.body.failures as { at: string; code: string; scheme: string; appId: string | null; remote: string }[];
    assert.deepEqual(failures.slice(0, 2).map((f) => [f.code, f.scheme, f.appId]), [
      ['ERR_AUTH_MISSING', 'none', null],
      ['ERR_AUTH_SIGNATURE', 'hmac', server.app.appId],
    ]);
    assert.equal(failures[0]!.remote, '127.0.0.1');
    assert.ok(Date.parse(failures[0]!.at) >= Date.parse(failures[1]!.at));
  });

  test('audit verify walks the chain and becomes the verification state', async () => {
    assert.equal((await get('/v1/admin/audit', `Bearer ${token}`)).body.verification, null, 'none before the first');
    const response = await fetch(`${server.url}/v1/admin/audit/verify`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    const verification = (await response.json()) as { state: string; headSeq: number; records: number; checkpoints: number };
    assert.equal(verification.state, 'verified');
    assert.equal(verification.records, verification.headSeq);
    assert.ok(verification.headSeq >= 1);
    assert.deepEqual((await get('/v1/admin/audit', `Bearer ${token}`)).body.verification, verification);
    assert.equal((await fetch(`${server.url}/v1/admin/audit/verify`, { method: 'POST' })).status, 401);
  });
});

describe('admin list and admin revoke', () => {
  test('list shows ids and names, never a token; a revoked token is refused at once by the running server', async () => {
    const server = await startTestServer();
    try {
      const made = await runCli(['--data', server.dataDir, 'admin', 'create', '--name', 'on-call', '--json']);
      assert.equal(made.code, 0, made.stderr);
      const { id, token } = JSON.parse(made.stdout) as { id: string; token: string };
      const overview = () => fetch(`${server.url}/v1/admin/overview`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await overview()).status, 200);

      const listed = await runCli(['--data', server.dataDir, 'admin', 'list', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const rows = JSON.parse(listed.stdout) as { id: string; name: string; createdAt: string }[];
      assert.deepEqual(rows.map((r) => [r.id, r.name]), [[id, 'on-call']]);
      assert.ok(!Number.isNaN(Date.parse(rows[0]!.createdAt)));
      const human = await runCli(['--data', server.dataDir, 'admin', 'list']);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`^${id}  \\S+  on-call$`, 'm'));
      for (const out of [listed.stdout, human.stdout]) assert.equal(out.includes(parseAdminToken(token)!.secret), false, 'no secret is listed');

      const revoked = await runCli(['--data', server.dataDir, 'admin', 'revoke', id]);
      assert.equal(revoked.code, 0, revoked.stderr);
      const refused = await overview();
      assert.equal(refused.status, 401);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'ERR_AUTH_SIGNATURE');
      const again = await runCli(['--data', server.dataDir, 'admin', 'revoke', id]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /ERR_NOT_FOUND/);
      assert.deepEqual(JSON.parse((await runCli(['--data', server.dataDir, 'admin', 'list', '--json'])).stdout), []);
    } finally {
      await server.close();
    }
  });
});

describe('/v1/admin/audit/verify on a tampered database', () => {
  test('names the first altered record, as sealpush audit verify does', async () => {
    const dataDir = tempDir();
    assert.equal((await runCli(['--data', dataDir, 'init'])).code, 0);
    const created = await runCli(['--data', dataDir, 'admin', 'create', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const { token } = JSON.parse(created.stdout) as { token: string };
    // A separate process: this one writes the database file behind its back (test/helpers/process.ts).
    const config = join(dataDir, 'config.json');
    writeFileSync(config, JSON.stringify({ audit: { refusalIntervalSeconds: 1 } }));
    const server = await spawnServer(dataDir, { SEALPUSH_CONFIG: config });
    try {
      for (let i = 0; i < 3; i++) await fetch(`${server.url}/v1/clients/c_${i}`);
      const verify = async (): Promise<{ state: string; problem?: { seq: number; reason: string } }> => {
        const res = await fetch(`${server.url}/v1/admin/audit/verify`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.status, 200);
        return (await res.json()) as { state: string; problem?: { seq: number; reason: string } };
      };
      await eventually(async () => ((await verify()).state === 'verified' ? true : undefined), 'an intact chain');
      const db = new Database(join(dataDir, 'sealpush.db'));
      try {
        const first = db.prepare("SELECT seq, fields FROM audit_log WHERE kind = 'auth-failure' ORDER BY seq LIMIT 1");
        const row = await eventually(async () => first.get() as { seq: number; fields: string } | undefined, 'the refusals committed');
        db.prepare('UPDATE audit_log SET fields = ? WHERE seq = ?').run(row.fields.replace('127.0.0.1', '10.0.0.1'), row.seq);
        const result = await verify();
        assert.equal(result.state, 'failed');
        assert.equal(result.problem?.seq, row.seq);
        assert.match(result.problem?.reason ?? '', /altered/);
      } finally {
        db.close();
      }
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

