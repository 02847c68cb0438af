/**
 * Disk full (issue 18, scenario 2): a node's SQLite data directory sits on a small tmpfs of
 * its own. Publishers with idempotency ids fill it while an SDK client receives; once the
 * disk is full, publishes must be refused with 503 ERR_UNAVAILABLE (never a 500, never a 202
 * for what was not committed), the process must live on and keep answering reads. Then the
 * filesystem is grown under the running node: publishes must succeed again without a restart,
 * the refused ones (sent again with the same ids) included. Last, the node is stopped and
 * started on the same data: `audit verify` passes and every accepted message is there.
 * Every answer is recorded (probe.ts); the verdict is checkDiskFull's.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { runCli } from '../../test/helpers/process.js';
import { ChaosNode } from '../lib/node.js';
import { SmallFilesystem } from './filesystem.js';
import { DiskFullLoad, readsAnswer } from './load.js';
import { checkDiskFull, type DiskFullVerdict } from './verdict.js';

export interface DiskFullOptions {
  /** The tmpfs's size while it fills, KiB, and after it is grown. */
  readonly smallKiB: number;
  readonly grownKiB: number;
  /** Concurrent publishers, and the size of each message's data, bytes. */
  readonly publishers: number;
  readonly dataBytes: number;
  /**
   * The client leaves before the filling and resumes its session once the disk has grown: its
   * messages keep their data in the store (not freed by ACKs), so the database file itself
   * grows and the WAL checkpoint runs out of room, not just the WAL.
   */
  readonly clientOffline: boolean;
  /** Refusals that mark the disk as full and end the filling (with the time after the first). */
  readonly fullAfterRefusals: number;
  readonly fullForMs: number;
  /** Longest any phase (filling, recovery, delivery) may take, ms. */
  readonly phaseMs: number;
  readonly onPhase?: (phase: string, done: number) => void;
}

export interface DiskFullResult extends DiskFullVerdict {
  readonly smallKiB: number;
  readonly grownKiB: number;
  readonly seconds: number;
}


export async function runDiskFull(options: DiskFullOptions): Promise<DiskFullResult> {
  if (options.grownKiB <= options.smallKiB) throw new Error('grownKiB must be larger than smallKiB: a tmpfs cannot shrink below its use');
  const started = Date.now();
  const fs = SmallFilesystem.mount(options.smallKiB);
  try {
    const dataDir = join(fs.dir, 'data');
    const configFile = join(fs.dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ limits: { readsPerSecondPerApp: 100_000 } }));
    const env = { SEALPUSH_CONFIG: configFile };
    const cli = async (args: string[]): Promise<string> => {
      const result = await runCli(['--data', dataDir, ...args], env);
      if (result.code !== 0) throw new Error(`sealpush ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    await cli(['init']);
    const app = JSON.parse(await cli(['apps', 'create', 'diskfull', '--json'])) as { appId: string; secret: string };
    const node = await ChaosNode.start(dataDir, env);
    const received: string[] = [];
    const receive = async (session?: ReturnType<SealPushClient['session']>): Promise<SealPushClient> => {
      const c = await connect({ url: node.url, appId: app.appId, serverKey: node.serverKey, session, reconnect: { minDelayMs: 50, maxDelayMs: 500 } });
      c.on('message', (m) => received.push(m.id));
      return c;
    };
    let client = await receive();
    if (options.clientOffline) await client.close();
    const load = new DiskFullLoad({ url: node.url, ...app, to: client.clientId, dataBytes: options.dataBytes });
    try {
      options.onPhase?.('filling', 0);
      const filled = await load.fill(options.publishers, options.fullAfterRefusals, options.fullForMs, Date.now() + options.phaseMs);
      const whileFull = { freeBytes: fs.freeBytes(), files: fileSizes(dataDir), alive: node.alive(), ...(await readsAnswer(node.url, load.committedSample(), load.reader)) };
      options.onPhase?.('grown', 1);
      fs.resize(options.grownKiB);
      const recovery = await load.recover(Date.now() + options.phaseMs);
      options.onPhase?.('delivering', 2);
      if (options.clientOffline) client = await receive(client.session());
      const deadline = Date.now() + options.phaseMs;
      while (new Set(received).size < load.accepted.size && Date.now() < deadline) await pause(100);
      await client.close();
      const aliveAtEnd = node.alive();
      const commitFailures = (node.output().match(/commit failed/g) ?? []).length;
      const firstFailure = node.output().split('\n').find((line) => line.includes('commit failed'))?.slice(0, 300) ?? '';
      await node.stop();
      options.onPhase?.('restarted', 3);
      const audit = await runCli(['--data', dataDir, 'audit', 'verify'], env);
      await node.restart();
      const missingAfterRestart = await load.missing();
      await node.stop();
      const verdict = checkDiskFull({
        filled, whileFull, recovery, received, accepted: [...load.accepted], answers: load.answers,
        aliveAtEnd, commitFailures, firstFailure, auditVerified: audit.code === 0, auditOutput: audit.stderr.slice(0, 500), missingAfterRestart,
      });
      return { ...verdict, smallKiB: options.smallKiB, grownKiB: options.grownKiB, seconds: (Date.now() - started) / 1000 };
    } finally {
      await client.close().catch(() => undefined);
      await node.stop().catch(() => undefined);
    }
  } finally {
    fs.unmount();
  }
}

/** The data directory's files and their sizes, KiB (what filled the disk). */
function fileSizes(dir: string): Record<string, number> {
  return Object.fromEntries(readdirSync(dir).map((name) => [name, Math.round(statSync(join(dir, name)).size / 1024)]));
}
