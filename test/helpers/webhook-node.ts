/**
 * A data directory with an app and a webhook endpoint, made with the real CLI, for the tests
 * that run `sealpush serve` processes sending webhooks (test/integration/webhooks-*.test.ts).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './process.js';

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
