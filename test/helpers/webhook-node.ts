/**
 * A data directory with an app and a webhook endpoint, made with the real CLI, for the tests
 * that run `sealpush serve` processes sending webhooks (test/integration/webhooks-*.test.ts).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { collect } from './messages.js';
import { runCli, type ServerProcess } from './process.js';

export interface WebhookSetup {
  readonly app: { appId: string; secret: string };
  readonly endpoint: { id: string; secret: string; url: string; events: string[] };
  /** The environment every CLI call and `serve` of the test runs with. */
  readonly env: Record<string, string>;
}

/**
 * `init` (SQLite) unless `env` names a store, `apps create`, `webhooks add` with `addArgs`;
 * `config` goes to a config file (SEALPUSH_CONFIG) beside the data.
 */
export async function setUpWebhooks(dataDir: string, url: string, options: {
  readonly env?: Record<string, string>;
  readonly config?: object;
  readonly addArgs?: readonly string[];
}): Promise<WebhookSetup> {
  const configFile = join(dataDir, 'test-config.json');
  writeFileSync(configFile, JSON.stringify(options.config ?? {}));
  const env: Record<string, string> = { ...options.env, SEALPUSH_CONFIG: configFile };
  const cli = async (args: string[]): Promise<string> => {
    const result = await runCli(['--data', dataDir, ...args], env);
    assert.equal(result.code, 0, `sealpush ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  await cli(env.SEALPUSH_STORE === undefined ? ['init'] : ['migrate']);
  const app = JSON.parse(await cli(['apps', 'create', 'hooks', '--json'])) as WebhookSetup['app'];
  const endpoint = JSON.parse(await cli(['webhooks', 'add', app.appId, '--url', url, '--json', ...(options.addArgs ?? [])])) as WebhookSetup['endpoint'];
  return { app, endpoint, env };
}

/** One message to a new client, received and acked (the client closes, which sends its ACK). */
export async function ackOne(server: Pick<ServerProcess, 'url' | 'serverKey'>, app: WebhookSetup['app'], id: string): Promise<void> {
  const client = await connect({ url: server.url, appId: app.appId, serverKey: server.serverKey });
  const arrived = collect(client, 1);
  await new SealPushApp({ url: server.url, appId: app.appId, secret: app.secret }).publish({ to: client.clientId, data: { id }, id });
  await arrived;
  await client.close();
}
