/**
 * The server under fuzzing: a real `sealpush serve` process over a fresh data directory, with
 * apps created through the CLI and one client per app to address. Its per-address rate limits
 * are lifted (one fuzzer on 127.0.0.1 would otherwise see little but 429, which
 * refusal-limits.test.ts covers), so that cases reach the parsers and the routes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SealPushApp } from '../../src/app/index.js';
import { connect } from '../../src/client/node.js';
import { rssBytes } from '../../bench/lib/proc.js';
import { exited, runCli, spawnServer, type ServerProcess } from '../../test/helpers/process.js';

export interface AppCredentials {
  readonly appId: string;
  readonly secret: string;
}

export interface FuzzTarget {
  readonly url: string;
  readonly serverKey: string;
  readonly pid: number;
  /** Apps to sign for; several, so that no one app's replay cache fills in a long run. */
  readonly apps: readonly AppCredentials[];
  /** A client of each app (same index), to address publishes to. */
  readonly clientIds: readonly string[];
  alive(): boolean;
  /** `/healthz`'s status, or undefined when nothing answered. */
  healthz(): Promise<number | undefined>;
  rss(): number;
  /** A real SDK client connects and receives a message published through the app SDK; undefined when it did, else what failed. */
  roundTrip(): Promise<string | undefined>;
  stop(): Promise<void>;
}

const APPS = 4;

const LIFTED_LIMITS = {
  failedAuthsPerSecondPerIp: 1e9,
  handshakesPerSecondPerIp: 1e9,
  registrationsPerSecondPerApp: 1e9,
  readsPerSecondPerApp: 1e9,
  publishesPerSecondPerApp: 1e9,
  maxConnectionsPerIp: 100_000,
  maxHandshakesInProgress: 100_000,
  maxHttpConnectionsPerIp: 100_000,
};

export async function startTarget(): Promise<FuzzTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealpush-fuzz-'));
  const configFile = join(dataDir, 'fuzz-config.json');
  writeFileSync(configFile, JSON.stringify({ durability: 'normal', limits: LIFTED_LIMITS }));
  const env = { SEALPUSH_CONFIG: configFile };
  await cli(['init', '--data', dataDir], env);
  const apps: AppCredentials[] = [];
  for (let n = 0; n < APPS; n++) apps.push(JSON.parse(await cli(['apps', 'create', `fuzz-${n}`, '--json', '--data', dataDir], env)) as AppCredentials);
  let server: ServerProcess;
  try {
    server = await spawnServer(dataDir, env);
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { url, serverKey, child } = server;
  const clientIds: string[] = [];
  for (const app of apps) {
    const client = await connect({ url, appId: app.appId, serverKey });
    clientIds.push(client.clientId);
    await client.close();
  }
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    url,
    serverKey,
    pid: child.pid!,
    apps,
    clientIds,
    alive,
    healthz: async () => {
      try {
        return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) })).status;
      } catch {
        return undefined;
      }
    },
    rss: () => rssBytes(child.pid!),
    roundTrip: () => roundTrip(url, serverKey, apps[0]!),
    stop: async () => {
      if (alive()) {
        child.kill('SIGTERM');
        await exited(child);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const run = await runCli(args, env);
  if (run.code !== 0) throw new Error(`sealpush ${args[0]} failed (${run.code}): ${run.stderr.trim()}`);
  return run.stdout;
}

async function roundTrip(url: string, serverKey: string, app: AppCredentials): Promise<string | undefined> {
  try {
    const client = await connect({ url, appId: app.appId, serverKey });
    try {
      const arrived = new Promise<unknown>((resolve) => client.on('message', (m) => resolve(m.data)));
      const publisher = new SealPushApp({ url, appId: app.appId, secret: app.secret });
      await publisher.publish({ to: client.clientId, data: { fuzz: 'health' } });
      const data = await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, 10_000, 'timeout'))]);
      return JSON.stringify(data) === '{"fuzz":"health"}' ? undefined : 'the published message did not arrive within 10 s';
    } finally {
      await client.close();
    }
  } catch (err) {
    return `SDK round trip failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
