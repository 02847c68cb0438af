// A MySQL outage on a real `sealpush serve` process, made with a TCP proxy between the node and
// the shared MariaDB (which keeps running for the other tests): SEALPUSH_STORE points at the
// proxy. While the proxy refuses (or swallows) every connection, publishes are 503
// ERR_UNAVAILABLE with Retry-After (never a 202, never a 500, never an endless wait) and
// /readyz is 503; once it forwards again the node recovers by itself, and every message that
// got a 202 is in the database once and reaches the connected client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { RequestSigner } from '../../src/app/signing.js';
import { freshDatabase, type TestDatabase } from '../helpers/mysql.js';
import { exited, runCli, spawnServer, type ServerProcess } from '../helpers/process.js';
import { MYSQL_URL, mysqlMissing } from '../helpers/requirements.js';
import { eventually, tempDir } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const missing = mysqlMissing();

/** The node's store timeouts in this test (the URL's parameters; the defaults are 5 s and 10 s). */
const CONNECT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 1500;
/** What "does not hang" means here: the slowest request path is a few timeouts long. */
const BOUND_MS = 8000;

describe('MySQL outage (a TCP proxy cut or hung between the node and MySQL)', { skip: missing }, () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let dataDir: string;
  let app: { appId: string; secret: string };
  let node: ServerProcess;
  let client: SealPushClient;
  const received: string[] = [];
  const accepted: string[] = [];

  before(async () => {
    db = await freshDatabase();
    const target = new URL(MYSQL_URL!);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 3306) });
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    url.search = `?connectTimeout=${CONNECT_TIMEOUT_MS}&queryTimeout=${QUERY_TIMEOUT_MS}`;
    const env = { SEALPUSH_STORE: url.href };
    dataDir = tempDir();
    const initialised = await runCli(['init', '--data', dataDir], env);
    assert.equal(initialised.code, 0, initialised.stderr);
    app = JSON.parse((await runCli(['apps', 'create', 'outage', '--json', '--data', dataDir], env)).stdout) as { appId: string; secret: string };
    node = await spawnServer(dataDir, env);
    client = await connect({ url: node.url, appId: app.appId, serverKey: node.serverKey });
    client.on('message', (m) => received.push(m.id));
  });
  after(async () => {
    await client?.close();
    if (process.env.SEALPUSH_TEST_SHOW_OUTPUT) process.stderr.write(node?.output() ?? '');
    node?.child.kill('SIGTERM');
    if (node) await exited(node.child);
    await proxy?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function publish(id: string): Promise<Response> {
    const body = JSON.stringify({ to: client.clientId, data: { id }, id });
    const authorization = await new RequestSigner(app.appId, app.secret).authorization({ method: 'POST', pathWithQuery: '/v1/messages', body: new TextEncoder().encode(body) });
    const res = await fetch(`${node.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
    if (res.status === 202) accepted.push(id);
    return res;
  }

  /** A publish during the outage: refused with 503 ERR_UNAVAILABLE and Retry-After, within BOUND_MS. */
  async function refused(id: string): Promise<void> {
    const started = Date.now();
    const res = await publish(id);
    const took = Date.now() - started;
    const text = await res.text();
    assert.equal(res.status, 503, `${id} must be refused, got ${res.status}: ${text}`);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, 'ERR_UNAVAILABLE');
    assert.ok(took < BOUND_MS, `${id} took ${took} ms`);
  }

  const readyStatus = async (): Promise<number> => (await fetch(`${node.url}/readyz`, { signal: AbortSignal.timeout(BOUND_MS) })).status;

  async function recovered(label: string): Promise<void> {
    await proxy.restore();
    await eventually(async () => ((await readyStatus()) === 200 ? true : undefined), `/readyz to turn 200 after the ${label}`);
    for (const id of [`after-${label}-1`, `after-${label}-2`]) {
      assert.equal((await publish(id)).status, 202, `${id} accepted without a restart`);
    }
  }

  async function storedOnce(): Promise<void> {
    const rows = (await db.query('SELECT id FROM messages')) as { id: Buffer | string }[];
    const ids = rows.map((r) => r.id.toString());
    for (const id of accepted) assert.equal(ids.filter((x) => x === id).length, 1, `${id} (202) is stored exactly once`);
    await eventually(async () => (accepted.every((id) => received.includes(id)) ? true : undefined), 'every accepted message delivered');
  }

  test('connections refused: publishes get 503 and /readyz 503; restored, the node accepts and delivers again', async () => {
    assert.equal((await publish('before-cut')).status, 202);
    assert.equal(await readyStatus(), 200);

    await proxy.cut();
    // At once (readiness may still say ready from its cached probe): the store call itself fails cleanly.
    for (const id of ['cut-1', 'cut-2', 'cut-3']) await refused(id);
    await eventually(async () => ((await readyStatus()) === 503 ? true : undefined), '/readyz to turn 503');
    for (const id of ['cut-4', 'cut-5']) await refused(id);
    // A WebSocket handshake now fails with a catalogue close code, not a hang or a crash.
    await assert.rejects(connect({ url: node.url, appId: app.appId, serverKey: node.serverKey, reconnect: false }), { code: 'ERR_UNAVAILABLE' });

    await recovered('cut');
    await storedOnce();
  });

  test('a hung MySQL (connections accepted, nothing answered): requests end with 503 in bounded time, then recover', async () => {
    assert.equal((await publish('before-hang')).status, 202);
    proxy.hang();
    for (const id of ['hang-1', 'hang-2']) await refused(id);
    const started = Date.now();
    await eventually(async () => ((await readyStatus()) === 503 ? true : undefined), '/readyz to turn 503');
    assert.ok(Date.now() - started < BOUND_MS);
    await refused('hang-3');

    await recovered('hang');
    await storedOnce();
  });
});
