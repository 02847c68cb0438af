// Rate limits across nodes: two `sealpush serve` processes on one SQLite data directory and one
// Redis (a redis-server of this test's own, so nothing shared is touched) hold one publish
// budget per app and one failed-authentication budget per address between them: two nodes do
// not allow twice the limit. With Redis down each node holds the limit on its own (per node,
// as docs/deploy.md says): a flood is still refused, and nothing else is.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RequestSigner } from '../../src/app/signing.js';
import type { CreatedApp } from '../../src/domain/usecases/apps.js';
import { exited, spawnServer, type ServerProcess } from '../helpers/process.js';
import { OwnRedisServer } from '../helpers/redis.js';
import { requirement } from '../helpers/requirements.js';
import { createApp, eventually, tempDir } from '../helpers/server.js';

const skip = requirement('redis-server', spawnSync('redis-server', ['--version']).status === 0, 'apt-get install -y redis-server');

/** Each budget refills at one per 1000 s: nothing refills while the test runs. */
const PUBLISH_BURST = 6;
const FAILED_AUTH_BURST = 4;

describe('rate limits shared by two nodes through Redis', { skip }, () => {
  let redis: OwnRedisServer;
  let dataDir: string;
  let app: CreatedApp;
  let nodes: ServerProcess[] = [];

  before(async () => {
    redis = await OwnRedisServer.start();
    dataDir = tempDir();
    app = await createApp(dataDir, 'limits');
    const config = join(dataDir, 'config.json');
    writeFileSync(config, JSON.stringify({
      trustProxy: true,
      limits: { publishesPerSecondPerApp: 0.001, publishBurstPerApp: PUBLISH_BURST, failedAuthsPerSecondPerIp: 0.001, failedAuthBurstPerIp: FAILED_AUTH_BURST },
    }));
    const env = { SEALPUSH_REDIS: redis.url, SEALPUSH_CONFIG: config };
    // One after the other: the first creates the node keys in the shared store.
    nodes.push(await spawnServer(dataDir, env));
    nodes.push(await spawnServer(dataDir, env));
  });
  after(async () => {
    for (const node of nodes) {
      if (process.env.SEALPUSH_TEST_SHOW_OUTPUT) process.stderr.write(node.output());
      node.child.kill('SIGTERM');
      await exited(node.child);
    }
    nodes = [];
    await redis?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * A signed request on `node` as if from `forwardedFor` (a wrong signature when `bad`): a
   * publish, or a read (a node that is not ready refuses publishes before their signature).
   * The answer's status and code.
   */
  async function send(node: ServerProcess, forwardedFor: string, { bad = false, read = false } = {}): Promise<string> {
    const [method, path, body] = read ? (['GET', '/v1/clients/c_nobody', ''] as const) : (['POST', '/v1/messages', JSON.stringify({ to: 'c_nobody', data: 1 })] as const);
    let authorization = await new RequestSigner(app.appId, app.secret).authorization({ method, pathWithQuery: path, body: new TextEncoder().encode(body) });
    if (bad) authorization = authorization.replace(/sig=[A-Za-z0-9_-]+/, `sig=${randomBytes(32).toString('base64url')}`);
    const headers = { 'x-forwarded-for': forwardedFor, authorization, ...(read ? {} : { 'content-type': 'application/json' }) };
    const res = await fetch(node.url + path, { method, headers, ...(read ? {} : { body }) });
    return `${res.status} ${((await res.json()) as { error?: { code: string } }).error?.code ?? ''}`.trim();
  }

  test(`an app's publishes: ${PUBLISH_BURST} in all, whichever node takes them, then 429 on both`, async () => {
    const answers: string[] = [];
    // Alternating nodes; each publish is accepted (404: no such client, after the limit) or refused by it.
    for (let i = 0; i < 2 * PUBLISH_BURST; i++) answers.push(await send(nodes[i % 2]!, '198.51.100.1'));
    assert.deepEqual(answers.filter((a) => a === '404 ERR_NOT_FOUND').length, PUBLISH_BURST, answers.join(', '));
    assert.deepEqual(answers.slice(PUBLISH_BURST), Array(PUBLISH_BURST).fill('429 ERR_RATE_LIMITED'));
  });

  test('failed authentications from one address are counted once across both nodes', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 4 * FAILED_AUTH_BURST; i++) answers.push(await send(nodes[i % 2]!, '203.0.113.1', { bad: true }));
    const verified = answers.filter((a) => a === '401 ERR_AUTH_SIGNATURE').length;
    // The budget, and one more per node: the failure that finds it spent (a node alone allows budget + 1).
    assert.equal(verified, FAILED_AUTH_BURST + 2, answers.join(', '));
    assert.deepEqual(answers.slice(verified), Array(answers.length - verified).fill('429 ERR_RATE_LIMITED'));
  });

  test('with Redis down each node holds the limit on its own: a flood is still refused, and /readyz says Redis is away', async () => {
    await redis.kill();
    for (const node of nodes) await eventually(async () => ((await fetch(`${node.url}/readyz`)).status === 503 ? true : undefined), 'not ready without Redis');
    for (const node of nodes) {
      const answers: string[] = [];
      for (let i = 0; i < 2 * FAILED_AUTH_BURST; i++) answers.push(await send(node, '203.0.113.2', { bad: true, read: true }));
      // Per node: its own budget, plus the failure that finds it spent.
      assert.deepEqual(answers, [...Array(FAILED_AUTH_BURST + 1).fill('401 ERR_AUTH_SIGNATURE'), ...Array(FAILED_AUTH_BURST - 1).fill('429 ERR_RATE_LIMITED')]);
    }
    // A genuine request cannot be checked for replay without Redis: 503, never accepted (redis-outage.test.ts).
    assert.equal(await send(nodes[0]!, '198.51.100.9', { read: true }), '503 ERR_UNAVAILABLE');
    await redis.start();
  });
});
