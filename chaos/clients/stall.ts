/**
 * The clients scenario's first part: slow and vanishing clients beside healthy ones, on one
 * node that logs its closes. The slow clients live in a fleet process that is stopped
 * (SIGSTOP: none of its sockets reads any more) while far more is published to them than the
 * socket buffers hold; the vanishing ones sit behind a proxy that turns into a blackhole. The
 * node must close each by its rule (ERR_SLOW_CONSUMER, ERR_IDLE_TIMEOUT) in time and free the
 * connections, its memory must stay bounded (the same flood, published first to the slow clients
 * while they still read, is the control: the stall may add only the stalled connections' send
 * buffers to what that took), the healthy clients must keep getting their
 * messages meanwhile, and once the stalled clients come back every message arrives, once.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { connect, type SealPushClient } from '../../src/client/node.js';
import type { SealPushApp } from '../../src/app/index.js';
import { TcpProxy } from '../../test/helpers/tcp-proxy.js';
import { checkHistory } from '../crash-loop/history.js';
import type { ChaosNode } from '../lib/node.js';
import type { Fleet } from './fleet-handle.js';
import { connectionGauge, nodeCloses, residentKiB, RssSampler, whenTrue } from './observe.js';
import { publishAll, type Ledger } from './ledger.js';
import type { StallLimits, StallRecord, StalledClient } from './verdict.js';

export interface StallOptions {
  readonly limits: StallLimits;
  readonly healthy: number;
  readonly slow: number;
  readonly vanishing: number;
  /** Bytes published to each slow client while it is stopped: more than its socket buffers hold. */
  readonly floodBytes: number;
  /** Longest any wait may take, ms. */
  readonly phaseMs: number;
}

export interface StallParts {
  readonly node: ChaosNode;
  readonly app: { readonly appId: string; readonly secret: string };
  readonly publisher: SealPushApp;
  readonly fleet: Fleet;
  readonly ledger: Ledger;
  readonly onStep?: (step: string) => void;
}

const FLOOD_DATA_BYTES = 60_000;
/** Messages to each vanished client while it is gone, and to each healthy one every tick. */
const VANISHED_MESSAGES = 10;
const HEALTHY_TICK_MS = 50;

export async function runStall(options: StallOptions, parts: StallParts): Promise<StallRecord> {
  const { node, app, publisher, fleet, ledger } = parts;
  const target = { url: node.url, appId: app.appId, serverKey: node.serverKey };
  const deadline = (): number => Date.now() + options.phaseMs;
  let stalledAt = Number.POSITIVE_INFINITY;
  const latencies: number[] = [];
  const healthy: SealPushClient[] = [];
  for (let i = 0; i < options.healthy; i++) {
    const client = await connect(target);
    ledger.listen(client, (m) => Date.parse(m.createdAt) >= stalledAt && latencies.push(Date.now() - Date.parse(m.createdAt)));
    healthy.push(client);
  }
  const slowIds = await fleet.connect(target, options.slow, 4);
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(node.url).port) });
  const behindProxy: SealPushClient[] = [];
  for (let i = 0; i < options.vanishing; i++) {
    const client = await connect({ ...target, url: `http://127.0.0.1:${proxy.port}`, reconnect: false });
    ledger.listen(client);
    behindProxy.push(client);
  }
  const everyone = options.healthy + options.slow + options.vanishing;
  if ((await whenTrue(async () => (await connectionGauge(node.url)) === everyone, deadline())) === null) throw new Error('the clients never all connected');

  const flood = Math.ceil(options.floodBytes / FLOOD_DATA_BYTES);
  const pad = 'x'.repeat(FLOOD_DATA_BYTES - 100);
  const floodSlow = (tag: string): Promise<number[]> =>
    Promise.all(slowIds.map((to) => publishAll(publisher, ledger, Array.from({ length: flood }, (_, n) => ({ to, data: { n, pad }, id: `${to}-${tag}${n}` })), 12)));

  // The control: the same flood while the slow clients still read, and the node's RSS meanwhile.
  const controlSampler = new RssSampler(node.pid!);
  await floodSlow('c');
  await whenTrue(async () => ledger.complete(await fleet.report()), deadline());
  const controlPeakKiB = controlSampler.stop();

  parts.onStep?.('stalled');
  const beforeKiB = residentKiB(node.pid!)!.rss;
  const sampler = new RssSampler(node.pid!);
  stalledAt = Date.now();
  fleet.freeze();
  proxy.blackhole();
  let healthyRunning = true;
  let healthyExpected = 0;
  const ticker = (async () => {
    for (let n = 0; healthyRunning; n++) {
      const sent = await publishAll(publisher, ledger, healthy.map((c) => ({ to: c.clientId, data: { n }, id: `${c.clientId}-h${n}` })));
      healthyExpected += sent;
      await pause(HEALTHY_TICK_MS);
    }
  })();
  await Promise.all([
    floodSlow('f'),
    publishAll(publisher, ledger, behindProxy.flatMap((c) => Array.from({ length: VANISHED_MESSAGES }, (_, n) => ({ to: c.clientId, data: { n }, id: `${c.clientId}-v${n}` })))),
  ]);
  const stalledIds = [...slowIds, ...behindProxy.map((c) => c.clientId)];
  const allClosed = (): boolean => {
    const closed = new Set(nodeCloses(node.output()).map((c) => c.clientId));
    return stalledIds.every((id) => closed.has(id));
  };
  await whenTrue(allClosed, deadline());
  const freedAt = await whenTrue(async () => (await connectionGauge(node.url)) === options.healthy, deadline());
  healthyRunning = false;
  await ticker;
  const peakKiB = sampler.stop();
  const closes = nodeCloses(node.output());
  const closeOf = (clientId: string): StalledClient => {
    const close = closes.find((c) => c.clientId === clientId && c.at >= stalledAt);
    return { clientId, code: close?.code ?? null, afterMs: close ? close.at - stalledAt : null };
  };
  await ledger.drained(healthy.map((c) => c.clientId), deadline());
  const healthyReceived = latencies.length;

  parts.onStep?.('back');
  fleet.thaw(); // its clients reconnect by themselves and resume
  await proxy.close();
  const resumed: SealPushClient[] = [];
  for (const client of behindProxy) {
    await client.close();
    resumed.push(await connect({ ...target, session: client.session() }));
    ledger.listen(resumed.at(-1)!);
  }
  await ledger.drained(stalledIds.filter((id) => !slowIds.includes(id)), deadline());
  await whenTrue(async () => ledger.complete(await fleet.report()), deadline());
  await Promise.all([...healthy, ...resumed].map((c) => c.close()));
  return {
    limits: options.limits,
    slow: slowIds.map(closeOf),
    vanished: behindProxy.map((c) => closeOf(c.clientId)),
    freedAfterMs: freedAt === null ? null : freedAt - stalledAt,
    rss: { controlPeakKiB, beforeKiB, peakKiB },
    healthy: { expected: healthyExpected, received: healthyReceived, maxLatencyMs: Math.max(0, ...latencies) },
    history: checkHistory({ accepted: ledger.accepted, received: ledger.received, statuses: new Map(), ackedWebhooks: new Set(), acked: new Set() }),
  };
}
