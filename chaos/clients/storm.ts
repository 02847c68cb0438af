/**
 * The clients scenario's second part: a reconnect storm. Thousands of SDK clients, spread over
 * a few fleet processes, hold sessions on a node; it is killed (kill -9) and started again on
 * the same port and data, and every client reconnects at once with the SDK's own jittered
 * backoff. Messages accepted before the kill and published while the clients are away must
 * arrive exactly once; the time until the last client resumed is the storm's figure.
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { SealPushApp } from '../../src/app/index.js';
import { checkHistory } from '../crash-loop/history.js';
import type { ChaosNode } from '../lib/node.js';
import { Fleet } from './fleet-handle.js';
import type { FleetReport } from './fleet.js';
import { publishAll, type Ledger } from './ledger.js';
import { handshakeResults, residentKiB, RssSampler, whenTrue } from './observe.js';
import type { StormRecord } from './verdict.js';

export interface StormOptions {
  readonly clients: number;
  /** Processes the clients are spread over. */
  readonly fleets: number;
  /** The documented bound on the storm, ms. */
  readonly boundMs: number;
  /** Longest any wait may take, ms. */
  readonly phaseMs: number;
}

export interface StormParts {
  readonly node: ChaosNode;
  readonly app: { readonly appId: string };
  readonly publisher: SealPushApp;
  readonly ledger: Ledger;
  readonly onProgress?: (step: string, resumed: number) => void;
}

export interface StormResult extends StormRecord {
  /** Time the fleets took to connect every client the first time, and the node to restart, ms. */
  readonly connectMs: number;
  readonly restartMs: number;
  /** Close codes the clients saw, with how often. */
  readonly closes: Readonly<Record<string, number>>;
}

/** Handshakes each fleet runs at once when connecting its clients the first time. */
const CONNECT_CONCURRENCY = 16;

export async function runStorm(options: StormOptions, parts: StormParts): Promise<StormResult> {
  const { node, publisher, ledger } = parts;
  const target = { url: node.url, appId: parts.app.appId, serverKey: node.serverKey };
  const fleets = Array.from({ length: options.fleets }, () => Fleet.start());
  try {
    const connectStarted = Date.now();
    const shares = fleets.map((_, i) => Math.floor(options.clients / options.fleets) + (i < options.clients % options.fleets ? 1 : 0));
    const ids = (await Promise.all(fleets.map((f, i) => f.connect(target, shares[i]!, CONNECT_CONCURRENCY)))).flat();
    const connectMs = Date.now() - connectStarted;
    parts.onProgress?.('connected', 0);
    const received = async (): Promise<number> => (await Promise.all(fleets.map((f) => f.status()))).reduce((n, s) => n + s.received, 0);
    await publishAll(publisher, ledger, ids.map((to) => ({ to, data: { n: 0 }, id: `${to}-before` })));
    await whenTrue(async () => (await received()) >= ids.length, Date.now() + options.phaseMs);
    const steadyKiB = residentKiB(node.pid!)!.rss;

    await node.kill();
    await Promise.all(fleets.map((f) => f.mark(Date.now())));
    const restartStarted = Date.now();
    await node.restart();
    const listeningAt = Date.now();
    const sampler = new RssSampler(node.pid!);
    // Published while the clients are away (most have not come back yet).
    await publishAll(publisher, ledger, ids.map((to) => ({ to, data: { n: 1 }, id: `${to}-away` })));
    const resumed = async (): Promise<number> => (await Promise.all(fleets.map((f) => f.status()))).reduce((n, s) => n + s.resumed, 0);
    await whenTrue(async () => {
      const done = await resumed();
      parts.onProgress?.('storm', done);
      return done >= ids.length;
    }, Date.now() + options.phaseMs);
    const peakKiB = Math.max(sampler.stop(), residentKiB(node.pid!)?.peak ?? 0);
    const refusals = await handshakeResults(node.url);
    let reports: FleetReport[] = [];
    await whenTrue(async () => {
      reports = await Promise.all(fleets.map((f) => f.report()));
      return reports.every((r) => ledger.complete(r));
    }, Date.now() + options.phaseMs);
    await pause(500); // a duplicate would follow its first arrival closely: give it the time to show
    reports = await Promise.all(fleets.map((f) => f.report()));
    reports.forEach((r) => ledger.absorb(r));
    const resumedAt = reports.flatMap((r) => Object.values(r.resumedAt));
    const closes: Record<string, number> = {};
    for (const r of reports) for (const [code, n] of Object.entries(r.closes)) closes[code] = (closes[code] ?? 0) + n;
    const history = checkHistory({ accepted: ledger.accepted, received: ledger.received, statuses: new Map(), ackedWebhooks: new Set(), acked: new Set() });
    return {
      clients: ids.length, resumed: resumedAt.length, notResumed: reports.reduce((n, r) => n + r.notResumed, 0),
      stormMs: resumedAt.length === ids.length ? Math.max(...resumedAt) - listeningAt : null, boundMs: options.boundMs,
      rss: { steadyKiB, peakKiB }, refusals, history, connectMs, restartMs: listeningAt - restartStarted, closes,
    };
  } finally {
    await Promise.all(fleets.map((f) => f.close()));
  }
}
