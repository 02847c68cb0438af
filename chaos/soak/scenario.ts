/**
 * The soak (issue 18): one `sealpush serve` process under a steady load for a long time, at
 * half of the maximum rate measured at its start (a ramp: publishing as fast as the publishers
 * can, with delivery to connected clients), with clients connecting, leaving and resuming
 * throughout. Samples the node every few seconds (sampler.ts), then stops the load, lets every
 * client catch up, and checks: RSS flat over the fit window (verdict.ts), every accepted
 * message delivered once and in order (the crash loop's history check), no publish failing, no
 * error logged, and the node's file descriptors and handles back to where they were.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { runCli } from '../../test/helpers/process.js';
import { tempDir } from '../../test/helpers/server.js';
import { checkHistory, type Verdict } from '../crash-loop/history.js';
import { ChaosNode } from '../lib/node.js';
import { Population, type ChurnCounts } from './population.js';
import { Publishers } from './publishers.js';
import { Sampler, openFds, scrapeNode, type Phase, type Sample } from './sampler.js';
import { judgeMemory, type MemoryVerdict } from './verdict.js';
import { summariseSoak, type SoakFigures } from './figures.js';

export interface SoakOptions {
  /** `sqlite`, or the mysql:// URL of a fresh, empty database. */
  readonly store: 'sqlite' | string;
  /** Length of the steady load at the chosen rate, minutes. */
  readonly minutes: number;
  /** Messages per second; absent: half of the rate the ramp measures. */
  readonly rate?: number;
  readonly rampSeconds: number;
  readonly clients: number;
  readonly sampleSeconds: number;
  /** Churn events per second across the population. */
  readonly churnPerSecond: number;
  readonly onProgress?: (phase: Phase, fraction: number, detail: string) => void;
  /** Called with each sample as it is taken (the CLI appends it to a JSON-lines file). */
  readonly onSample?: (sample: Sample) => void;
}

export interface SoakResult {
  readonly store: 'sqlite' | 'mysql';
  readonly clients: number;
  /** The ramp's accepted-and-delivered rate, msg/s (null: --rate given). */
  readonly maxRate: number | null;
  readonly rate: number;
  readonly accepted: number;
  readonly delivered: number;
  readonly requests: number;
  readonly churn: ChurnCounts;
  readonly history: Omit<Verdict, 'lost' | 'duplicated' | 'unexpected' | 'reordered' | 'backwards' | 'webhookMissing'> & Record<'lost' | 'duplicated' | 'unexpected' | 'reordered', { count: number; first: string[] }>;
  readonly drained: boolean;
  readonly publishErrors: Record<string, number>;
  readonly clientErrors: readonly string[];
  /** Lines the node logged at level error or fatal. */
  readonly nodeErrors: readonly string[];
  readonly handles: { readonly baseFds: number; readonly endFds: number; readonly baseHandles: number; readonly endHandles: number; readonly back: boolean };
  readonly memory: MemoryVerdict;
  readonly figures: SoakFigures;
  readonly samples: readonly Sample[];
  readonly seconds: number;
  readonly problems: readonly string[];
  readonly passed: boolean;
}

/** File descriptors and handles the node may hold beyond its idle baseline at the end (an HTTP keep-alive socket, a WAL file). */
export const HANDLE_SLACK = 8;
const LIMITS = {
  readsPerSecondPerApp: 100_000, registrationsPerSecondPerApp: 10_000, handshakesPerSecondPerIp: 100_000,
  publishesPerSecondPerApp: 1_000_000, maxNonces: 4_000_000, maxNoncesPerApp: 4_000_000,
};

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const dataDir = tempDir('sealpush-soak-');
  const mysql = options.store !== 'sqlite';
  try {
    const configFile = join(dataDir, 'soak-config.json');
    writeFileSync(configFile, JSON.stringify({ limits: LIMITS }));
    const env: Record<string, string> = {
      SEALPUSH_CONFIG: configFile,
      ...(mysql ? { SEALPUSH_STORE: options.store, SEALPUSH_MASTER_KEY: randomBytes(32).toString('hex') } : {}),
    };
    const cli = async (args: string[]): Promise<string> => {
      const result = await runCli(['--data', dataDir, ...args], env);
      if (result.code !== 0) throw new Error(`sealpush ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    await cli(mysql ? ['migrate'] : ['init']);
    const app = JSON.parse(await cli(['apps', 'create', 'soak', '--json'])) as { appId: string; secret: string };
    const node = await ChaosNode.start(dataDir, env);
    try {
      return await soakNode(node, app, options, started, mysql);
    } finally {
      await node.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function soakNode(node: ChaosNode, app: { appId: string; secret: string }, options: SoakOptions, started: number, mysql: boolean): Promise<SoakResult> {
  const pid = node.pid!;
  const idle = await idleHandles(node.url, pid, { fds: Number.POSITIVE_INFINITY, handles: Number.POSITIVE_INFINITY }, Date.now());
  const publishers = new Publishers({ url: node.url, appId: app.appId, secret: app.secret, maxInFlight: 48, batchShare: 0.3, batchSize: 10 });
  const population = new Population(
    { url: node.url, appId: app.appId, serverKey: node.serverKey, clients: options.clients, churnPerSecond: options.churnPerSecond, replaceShare: 0.3, awayMs: 3000 },
    (clientId, received) => !publishers.busy(clientId) && received >= (publishers.accepted.get(clientId)?.length ?? 0),
  );
  await population.start();
  const sampler = new Sampler(
    { url: node.url, pid },
    { accepted: () => publishers.acceptedCount, delivered: () => population.delivered, takeLatencies: () => population.takeLatencies() },
    started,
    options.onSample,
  );
  sampler.start(options.sampleSeconds * 1000);
  const targets = (): ReturnType<Population['targets']> => population.targets();
  const phaseFor = (phase: Phase, ms: number, detail: () => string): (() => boolean) => {
    const from = Date.now();
    sampler.phase = phase;
    return () => {
      const fraction = (Date.now() - from) / ms;
      options.onProgress?.(phase, Math.min(1, fraction), detail());
      return fraction >= 1;
    };
  };
  let maxRate: number | null = null;
  if (options.rate === undefined) {
    const before = { at: Date.now(), accepted: publishers.acceptedCount, delivered: population.delivered };
    await publishers.run(Infinity, targets, phaseFor('ramp', options.rampSeconds * 1000, () => `${publishers.acceptedCount} accepted`));
    const seconds = (Date.now() - before.at) / 1000;
    maxRate = Math.min(publishers.acceptedCount - before.accepted, population.delivered - before.delivered) / seconds;
  }
  const rate = options.rate ?? Math.max(1, Math.round(maxRate! / 2));
  const steadyMs = options.minutes * 60_000;
  await publishers.run(rate, targets, phaseFor('steady', steadyMs, () => `${rate} msg/s, ${publishers.acceptedCount} accepted, ${population.churn.resumed} resumed`));
  sampler.phase = 'drain';
  options.onProgress?.('drain', 0, 'clients catching up');
  await population.settle();
  const drained = await waitFor(() => [...publishers.accepted].every(([id, sent]) => new Set(population.received.get(id)).size >= sent.length), Date.now() + 120_000);
  await population.close();
  await publishers.close();
  // The publishers' pooled HTTP sockets close a moment after their pool does: wait for both counts.
  const end = await idleHandles(node.url, pid, { fds: idle.fds + HANDLE_SLACK, handles: idle.handles + HANDLE_SLACK }, Date.now() + 60_000);
  await sampler.stop();

  const verdict = checkHistory({ accepted: publishers.accepted, received: population.received, statuses: new Map(), ackedWebhooks: new Set(), acked: new Set() });
  const steady = sampler.samples.filter((s) => s.phase === 'steady');
  const memory = judgeMemory(steady.map((s) => ({ t: s.t, v: s.rssMiB })));
  const nodeErrors = node.output().split('\n').filter((line) => /"level":(50|60)/.test(line));
  const handles = { baseFds: idle.fds, endFds: end.fds, baseHandles: idle.handles, endHandles: end.handles, back: end.fds <= idle.fds + HANDLE_SLACK && end.handles <= idle.handles + HANDLE_SLACK };
  const publishErrors = Object.fromEntries(publishers.errors);
  const problems = [
    ...(memory.passed ? [] : [`RSS grew ${memory.growthMiB.toFixed(1)} MiB over the fit window (allowed ${memory.allowedMiB.toFixed(1)})`]),
    ...(verdict.ok ? [] : [`history: ${verdict.lost.length} lost, ${verdict.duplicated.length} duplicated, ${verdict.unexpected.length} unexpected, ${verdict.reordered.length} clients reordered`]),
    ...(drained ? [] : ['the clients did not catch up within 120 s']),
    ...(publishers.errors.size === 0 ? [] : [`publishes failed: ${JSON.stringify(publishErrors)}`]),
    ...(population.errors.length === 0 ? [] : [`${population.errors.length} client errors`]),
    ...(nodeErrors.length === 0 ? [] : [`the node logged ${nodeErrors.length} errors`]),
    ...(handles.back ? [] : [`handles not back to baseline: ${idle.fds} fds and ${idle.handles} handles idle, ${end.fds} and ${end.handles} at the end`]),
  ];
  const first = (ids: readonly string[]): { count: number; first: string[] } => ({ count: ids.length, first: ids.slice(0, 10) });
  return {
    store: mysql ? 'mysql' : 'sqlite', clients: options.clients, maxRate, rate,
    accepted: publishers.acceptedCount, delivered: population.delivered, requests: publishers.requests, churn: population.churn,
    history: { accepted: verdict.accepted, received: verdict.received, ok: verdict.ok, lost: first(verdict.lost), duplicated: first(verdict.duplicated), unexpected: first(verdict.unexpected), reordered: first(verdict.reordered) },
    drained, publishErrors, clientErrors: population.errors.slice(0, 20), nodeErrors: nodeErrors.slice(0, 20), handles, memory,
    figures: summariseSoak(sampler.samples), samples: sampler.samples, seconds: (Date.now() - started) / 1000,
    problems, passed: problems.length === 0,
  };
}

/** The node's open fds and active handles once no client is connected and both are at most `atMost`, or as they are at `deadline`. */
async function idleHandles(url: string, pid: number, atMost: { fds: number; handles: number }, deadline: number): Promise<{ fds: number; handles: number }> {
  for (;;) {
    const { connections, handles } = await scrapeNode(url);
    const fds = openFds(pid);
    if ((connections === 0 && fds <= atMost.fds && handles <= atMost.handles) || Date.now() > deadline) return { fds, handles };
    await pause(500);
  }
}

async function waitFor(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (Date.now() > deadline) return false;
    await pause(200);
  }
  return true;
}
