/**
 * Engines: Redis (issue 18, scenario 3, part): three nodes on one MySQL database and a Redis of
 * the scenario's own, behind a load balancer, under the crash loop's load (publishers retrying
 * with the same ids through whichever node the balancer picks, SDK clients that resume on
 * whichever node it picks). Then, `rounds` times: Redis killed and started again empty on the
 * same port; Redis FLUSHALLed while running; one node SIGSTOPped for longer than the presence
 * ttl, its clients moving to the others, and SIGCONTed. The load's history is judged by the
 * crash loop's check (nothing lost, duplicated, reordered, no status backwards); what the nodes
 * answered during each fault, replays and recovery by verdict.ts.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { connect } from '../../src/client/node.js';
import { checkHistory, type Verdict } from '../crash-loop/history.js';
import { CrashLoad, type LoadReport } from '../crash-loop/load.js';
import { RedisCluster } from './cluster.js';
import { FaultMaker, type FaultTimings } from './faults.js';
import { ProbeClient } from './probe-client.js';
import { checkFaults, type FaultKind, type FaultRecord } from './verdict.js';

export const FAULTS: readonly FaultKind[] = ['redis-restart', 'redis-flushall', 'node-paused'];

export interface EnginesRedisOptions extends FaultTimings {
  /** mysql:// URL of a fresh, empty database. */
  readonly mysqlUrl: string;
  /** How many times the faults are made, in turn. */
  readonly rounds: number;
  /** Which faults, in this order. Default FAULTS (all three). */
  readonly faults?: readonly FaultKind[];
  readonly clients: number;
  readonly paceMs: number;
  readonly churnMs: number;
  /** Load on the healthy cluster before the first fault and after each, ms. */
  readonly calmMs: number;
  /** Time the clients get to catch up once the load stops, ms. */
  readonly settleMs: number;
  /** Called after each fault with how many were made. */
  readonly onFault?: (done: number, fault: FaultKind, published: number) => void;
}

/** The short form (`--quick`, and npm test) and the full run: each fault once, or three times with more load. */
export function enginesRedisRun(quick: boolean): Omit<EnginesRedisOptions, 'mysqlUrl' | 'onFault'> {
  const timings = { outageMs: quick ? 3000 : 10_000, pauseMs: quick ? 35_000 : 40_000, recoverWithinMs: 30_000 };
  return quick
    ? { ...timings, rounds: 1, clients: 6, paceMs: 100, churnMs: 3000, calmMs: 1000, settleMs: 60_000 }
    : { ...timings, rounds: 3, clients: 24, paceMs: 20, churnMs: 3000, calmMs: 5000, settleMs: 60_000 };
}

export interface EnginesRedisResult extends Verdict, LoadReport {
  readonly faults: readonly FaultRecord[];
  readonly problems: readonly string[];
  readonly replaysAccepted: number;
  readonly drained: boolean;
  readonly seconds: number;
  readonly passed: boolean;
}

export async function runEnginesRedis(options: EnginesRedisOptions): Promise<EnginesRedisResult> {
  const started = Date.now();
  const cluster = await RedisCluster.start(options.mysqlUrl, 3);
  try {
    const { app, balancer, nodes } = cluster;
    const load = new CrashLoad({
      url: balancer.url, appId: app.appId, secret: app.secret, serverKey: cluster.serverKey,
      clients: options.clients, batchClients: 4, paceMs: options.paceMs, churnMs: options.churnMs,
    });
    const probe = await ProbeClient.connect(nodes[0]!.url, app, cluster.serverKey);
    const replayTarget = await newClientId(nodes[0]!.url, app.appId, cluster.serverKey);
    const maker = new FaultMaker(cluster, probe, replayTarget, options);
    const faults: FaultRecord[] = [];
    await load.start();
    await pause(options.calmMs);
    for (let round = 0; round < options.rounds; round++) {
      for (const fault of options.faults ?? FAULTS) {
        faults.push(await maker.make(fault));
        options.onFault?.(faults.length, fault, load.publishedCount);
        await pause(options.calmMs);
      }
    }
    await load.stop();
    const settled = Date.now() + options.settleMs;
    const drained = (await load.drained(settled)) && (await probe.caughtUp(settled));
    await load.close();
    await probe.close();
    const final = await load.finalStatuses(Date.now() + options.settleMs);
    const acked = new Set([...final].filter(([, status]) => status === 'acked').map(([id]) => id));
    const accepted = new Map([...load.accepted, [probe.clientId, probe.accepted]]);
    const received = new Map([...load.received, [probe.clientId, probe.received]]);
    const verdict = checkHistory({ accepted, received, statuses: load.statuses, ackedWebhooks: acked, acked });
    const { problems, replaysAccepted } = checkFaults(faults);
    const exited = nodes.filter((node) => !node.alive()).length;
    const allProblems = [
      ...problems,
      ...(exited > 0 ? [`${exited} node processes exited`] : []),
      ...(acked.size === final.size ? [] : [`${final.size - acked.size} messages of the load did not end acked`]),
      ...(drained ? [] : ['the clients did not catch up in time']),
    ];
    return {
      ...verdict, ...load.report(verdict.backwards), faults, problems: allProblems, replaysAccepted, drained, seconds: (Date.now() - started) / 1000,
      passed: verdict.ok && allProblems.length === 0 && load.refusals.length === 0,
    };
  } finally {
    await cluster.stop();
  }
}

/** A client that registers and leaves at once: messages to it stay queued. */
async function newClientId(url: string, appId: string, serverKey: string): Promise<string> {
  const client = await connect({ url, appId, serverKey, reconnect: false });
  await client.close();
  return client.clientId;
}
