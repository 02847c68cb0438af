/**
 * The verification examples of docs/webhooks.md (examples/webhooks/), run on a real request: a
 * `sealpush serve` process sends an acked event to a real HTTPS receiver (a private CA through
 * NODE_EXTRA_CA_CERTS, a loopback target through SEALPUSH_WEBHOOK_ALLOW_PRIVATE=1), which saves
 * it; each example (Node with verifyWebhook, Python's standard library, sh with openssl) must
 * accept it as it came, and refuse it with one byte of the body changed or with another secret.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatWebhookSecret } from '../../src/domain/usecases/webhook-endpoints.js';
import { exited, runCommand, spawnServer, type ServerProcess } from '../helpers/process.js';
import { commandsMissing } from '../helpers/requirements.js';
import { eventually, tempDir } from '../helpers/server.js';
import { WebhookReceiver, makeTestPki, type ReceivedWebhook, type TestPki } from '../helpers/webhook-receiver.js';
import { ackOne, setUpWebhooks, type WebhookSetup } from '../helpers/webhook-node.js';

const DIR = fileURLToPath(new URL('../../examples/webhooks/', import.meta.url));
const skip = commandsMissing({ python3: 'python3', openssl: 'openssl' });

const EXAMPLES = [
  { name: 'verify.mjs', command: [process.execPath, 'verify.mjs'] },
  { name: 'verify.py', command: ['python3', 'verify.py'] },
  { name: 'verify.sh', command: ['sh', 'verify.sh'] },
] as const;

function run(command: readonly string[], args: string[], secret: string): ReturnType<typeof runCommand> {
  return runCommand([...command, ...args], { cwd: DIR, env: { WEBHOOK_SECRET: secret } });
}

describe('examples/webhooks: verifying a real request in Node, Python and sh + openssl', { skip }, () => {
  let pki: TestPki;
  let receiver: WebhookReceiver;
  let dataDir: string;
  let setup: WebhookSetup;
  let server: ServerProcess;
  let request: ReceivedWebhook;
  let bodyFile: string;
  let tamperedFile: string;

  before(async () => {
    pki = makeTestPki();
    receiver = new WebhookReceiver(pki);
    await receiver.start();
    dataDir = tempDir();
    setup = await setUpWebhooks(dataDir, receiver.url, {
      env: { NODE_EXTRA_CA_CERTS: pki.caFile, SEALPUSH_WEBHOOK_ALLOW_PRIVATE: '1' },
      config: { webhooks: { pollMs: 50 } },
    });
    receiver.trust(setup.endpoint.secret);
    server = await spawnServer(dataDir, setup.env);
    await ackOne(server, setup.app, 'verify-1');
    request = await eventually(async () => receiver.accepted[0], 'the acked event arrived', 20_000);
    bodyFile = join(dataDir, 'body.json');
    tamperedFile = join(dataDir, 'tampered.json');
    writeFileSync(bodyFile, request.body);
    writeFileSync(tamperedFile, request.body.replace('"acked"', '"ackeD"'));
  });

  after(async () => {
    server?.child.kill('SIGTERM');
    if (server) await exited(server.child);
    await receiver?.stop();
    pki?.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const args = (file: string): string[] => [request.id, String(request.timestamp), request.signatures.join(' '), file];

  test('the saved request is the acked event of the message, as the server sent it', () => {
    assert.equal(request.payload.type, 'message.acked');
    assert.equal(request.payload.data.id, 'verify-1');
    assert.notEqual(request.body, request.body.replace('"acked"', '"ackeD"'), 'the tampered body differs');
  });

  for (const example of EXAMPLES) {
    test(`${example.name} accepts the request as it came, and refuses a changed body or another secret`, async () => {
      const ok = await run(example.command, args(bodyFile), setup.endpoint.secret);
      assert.equal(ok.code, 0, `${ok.out}\n${ok.err}`);
      assert.match(ok.out, new RegExp(`^verified ${request.id}\\b`));
      if (example.name !== 'verify.sh') assert.match(ok.out, / message\.acked verify-1: acked\n$/);

      const tampered = await run(example.command, args(tamperedFile), setup.endpoint.secret);
      assert.equal(tampered.code, 1, `${tampered.out}\n${tampered.err}`);
      assert.equal(tampered.out, '');
      assert.match(tampered.err, /^refused: .*signature/);

      const other = await run(example.command, args(bodyFile), formatWebhookSecret(new Uint8Array(32).fill(3)));
      assert.equal(other.code, 1, `${other.out}\n${other.err}`);
      assert.match(other.err, /^refused: .*signature/);
    });
  }
});
