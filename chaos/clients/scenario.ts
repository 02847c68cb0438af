/**
 * Slow and vanishing clients, reconnect storms (issue 18, scenario 5). Two parts, each on a
 * node of its own (SQLite): stall.ts (clients that stop reading, clients that vanish behind a
 * blackhole, healthy ones beside them) on a node with short heartbeat, idle and slow-consumer
 * limits that logs its closes; storm.ts (thousands of resuming clients, the node killed and
 * started again) on a node sized for them. The verdict is verdict.ts's.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SealPushApp } from '../../src/app/index.js';
import { runCli } from '../../test/helpers/process.js';
import { tempDir } from '../../test/helpers/server.js';
import { ChaosNode } from '../lib/node.js';
import { Fleet } from './fleet-handle.js';
import { Ledger } from './ledger.js';
import { runStall } from './stall.js';
import { runStorm, type StormResult } from './storm.js';
import { checkClients, type StallLimits, type StallRecord } from './verdict.js';

export interface ClientsOptions {
  readonly healthy: number;
  readonly slow: number;
  readonly vanishing: number;
  readonly floodBytes: number;
  readonly stormClients: number;
  readonly fleets: number;
  readonly stormBoundMs: number;
  readonly phaseMs: number;
  readonly onStep?: (step: string, done: number) => void;
}

export interface ClientsResult {
  readonly stall: StallRecord;
  readonly storm: StormResult;
  /** Publishes refused for good, in either part. */
  readonly refusals: readonly string[];
  readonly problems: readonly string[];
  readonly seconds: number;
  readonly passed: boolean;
}

/**
 * Short, so that a run sees every rule act within seconds. The idle timeout is the longest:
 * a stopped client answers no ping either, and the slow-consumer rule must act first (its
 * clock starts only once the publishes have filled the socket buffers, seconds on a loaded
 * machine).
 */
export const STALL_LIMITS: StallLimits = {
  heartbeatMs: 1000, idleTimeoutMs: 10_000, slowConsumerTimeoutMs: 1000, sendHighWaterBytes: 65_536, maxFrameBytes: 1_048_576,
};

/** `init`, an app, and a node on a fresh data directory with `limits` and `env`. */
async function startNode(dataDir: string, limits: object, env: Record<string, string> = {}): Promise<{ node: ChaosNode; app: { appId: string; secret: string } }> {
  mkdirSync(dataDir, { recursive: true });
  const configFile = join(dataDir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ limits }));
  const fullEnv = { ...env, SEALPUSH_CONFIG: configFile };
  const cli = async (args: string[]): Promise<string> => {
    const result = await runCli(['--data', join(dataDir, 'data'), ...args], fullEnv);
    if (result.code !== 0) throw new Error(`sealpush ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  await cli(['init']);
  const app = JSON.parse(await cli(['apps', 'create', 'clients', '--json'])) as { appId: string; secret: string };
  return { node: await ChaosNode.start(join(dataDir, 'data'), fullEnv), app };
}

function publisherFor(node: ChaosNode, app: { appId: string; secret: string }): SealPushApp {
  return new SealPushApp({ url: node.url, ...app, timeoutMs: 10_000, retry: { attempts: 40, minDelayMs: 50, maxDelayMs: 1000 } });
}

export async function runClients(options: ClientsOptions): Promise<ClientsResult> {
  const started = Date.now();
  const dir = tempDir('sealpush-chaos-clients-');
  try {
    const stallLedger = new Ledger();
    const stallNode = await startNode(join(dir, 'stall'), { ...STALL_LIMITS, registrationsPerSecondPerApp: 1000 }, { SEALPUSH_LOG_LEVEL: 'debug' });
    const fleet = Fleet.start();
    let stall: StallRecord;
    try {
      stall = await runStall({ ...options, limits: STALL_LIMITS }, {
        ...stallNode, publisher: publisherFor(stallNode.node, stallNode.app), fleet, ledger: stallLedger, onStep: (step) => options.onStep?.(step, 0),
      });
    } finally {
      await fleet.close();
      await stallNode.node.stop();
    }
    const stormLedger = new Ledger();
    const room = options.stormClients + 100;
    const { node, app } = await startNode(join(dir, 'storm'), {
      maxConnections: room, maxConnectionsPerIp: room, maxHttpConnectionsPerIp: room + 1000,
      // Every client here comes from 127.0.0.1: the per-address budgets would measure themselves, not the node.
      handshakesPerSecondPerIp: 100_000, registrationsPerSecondPerApp: 100_000,
    });
    let storm: StormResult;
    try {
      storm = await runStorm(
        { clients: options.stormClients, fleets: options.fleets, boundMs: options.stormBoundMs, phaseMs: options.phaseMs },
        { node, app, publisher: publisherFor(node, app), ledger: stormLedger, onProgress: (step, resumed) => options.onStep?.(step, resumed / options.stormClients) },
      );
    } finally {
      await node.stop();
    }
    const verdict = checkClients(stall, storm);
    const refusals = [...stallLedger.refusals, ...stormLedger.refusals];
    const problems = [...verdict.problems, ...refusals.map((r) => `publish refused: ${r}`)];
    return { stall, storm, refusals, problems, seconds: (Date.now() - started) / 1000, passed: problems.length === 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
