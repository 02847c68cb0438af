/**
 * The signing examples of docs/integrate.md (examples/integrate/) run as a newcomer runs them,
 * against a real server: Python (standard library), Go (`go run`, standard library) and
 * curl + openssl. Each publishes to a real client, which must receive the message, and reads
 * the message's status back; with a wrong secret each reports the server's refusal and fails.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect, type SealPushClient } from '../../src/client/index.js';
import { collect } from '../helpers/messages.js';
import { runCommand } from '../helpers/process.js';
import { commandsMissing } from '../helpers/requirements.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const DIR = fileURLToPath(new URL('../../examples/integrate/', import.meta.url));
const skip = commandsMissing({ python3: 'python3', go: 'golang-go', openssl: 'openssl', curl: 'curl' });

/** Go writes its build cache and module cache here, never into the repository or $HOME; and never downloads a toolchain. */
const goHome = tempDir('sealpush-go-');
const GO_ENV = { GOCACHE: `${goHome}/cache`, GOPATH: `${goHome}/path`, GOTOOLCHAIN: 'local', GOFLAGS: '', GOPROXY: 'off' };

const EXAMPLES = [
  { name: 'publish.py', command: ['python3', 'publish.py'] },
  { name: 'publish.go', command: ['go', 'run', 'publish.go'] },
  { name: 'publish.sh', command: ['sh', 'publish.sh'] },
] as const;

function run(command: readonly string[], env: Record<string, string>): ReturnType<typeof runCommand> {
  return runCommand(command, { cwd: DIR, env: { ...GO_ENV, ...env } });
}

describe('examples/integrate: signed publishes from Python, Go and curl + openssl', { skip }, () => {
  let server: TestServer;
  const clients: SealPushClient[] = [];

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    rmSync(goHome, { recursive: true, force: true });
  });

  const envFor = (secret: string): Record<string, string> => ({
    SEALPUSH_URL: server.url,
    SEALPUSH_APP_ID: server.app.appId,
    SEALPUSH_APP_SECRET: secret,
  });

  for (const example of EXAMPLES) {
    test(`${example.name}: 202, the client receives the message, and its status reads back`, async () => {
      const client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
      clients.push(client);
      const received = collect(client, 1);
      const id = `order:${example.name}`.replace(/[^A-Za-z0-9._:-]/g, '-');

      const { code, out, err } = await run([...example.command, client.clientId, id], envFor(server.app.secret));
      assert.equal(code, 0, `${out}\n${err}`);
      const [published, status] = out.trim().split('\n');
      assert.equal(published, `{"id":"${id}","status":"queued"} 202`);
      const [statusBody, statusCode] = [status!.slice(0, status!.lastIndexOf(' ')), status!.slice(status!.lastIndexOf(' ') + 1)];
      assert.equal(statusCode, '200');
      assert.equal((JSON.parse(statusBody) as { id: string; to: string }).to, client.clientId);

      const [message] = await received;
      assert.equal(message!.id, id);
      assert.deepEqual(message!.data, { invoice: 42, paid: true });
    });

    test(`${example.name}: a wrong secret is refused with ERR_AUTH_SIGNATURE, and the example fails`, async () => {
      const wrong = Buffer.alloc(32, 7).toString('base64url');
      const { code, out } = await run([...example.command, 'c_nobody', 'order-refused'], envFor(wrong));
      assert.notEqual(code, 0);
      assert.match(out, /"code":"ERR_AUTH_SIGNATURE".* 401\n/);
      assert.doesNotMatch(out, /ERR_AUTH_SIGNATURE[\s\S]*\n.*ERR_/, 'nothing is sent after the refused publish');
    });
  }
});
