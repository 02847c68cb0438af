/**
 * The shared machinery of the delivery scenarios (unicast, burst, latency): a server under
 * test in its own process, C clients spread over the load agents, a publisher, and one
 * measurement = one phase of messages published, delivered, and counted at the clients.
 */
import { AgentPool } from '../lib/agents.js';
import { nowUs, sleep } from '../lib/clock.js';
import { BASELINE_SECRET, Publisher } from '../lib/publisher.js';
import { startBenchServer, type ServerHandle, type ServerKind } from '../lib/servers.js';
import { summariseLatency } from '../lib/stats.js';
import type { CollectReply, ConnectReply, ProgressReply, Target } from '../load/protocol.js';
import type { BenchContext, Measurement, MetricSpec } from './types.js';

export interface DeliverySession {
  readonly kind: ServerKind;
  readonly server: ServerHandle;
  readonly agents: AgentPool;
  readonly target: Target;
  /** Client ids, interleaved across agents so round-robin addressing spreads the load. */
  readonly clients: readonly string[];
  readonly publisher: Publisher;
  nextPhase: number;
}

/** How many clients each agent holds. */
export function shares(total: number, agents: number): number[] {
  return Array.from({ length: agents }, (_, i) => Math.floor(total / agents) + (i < total % agents ? 1 : 0));
}

export async function openSession(ctx: BenchContext, kind: ServerKind, clients: number): Promise<DeliverySession> {
  const { options, progress } = ctx;
  const agentCount = Math.max(1, Math.min(options.agents, clients));
  const server = await startBenchServer(kind, { sockets: clients + 256, durability: options.durability, nodeFlags: options.nodeFlags });
  let agents: AgentPool | undefined;
  try {
    agents = await AgentPool.start(agentCount, Math.ceil(clients / agentCount) + 64);
    const target: Target = { kind, url: server.info.url, appId: server.info.appId, serverKey: server.info.serverKey };
    const counts = shares(clients, agentCount);
    progress.update(0, `connecting ${clients} clients`);
    const replies = await agents.all<ConnectReply>((i) => ({
      op: 'connect',
      target,
      count: counts[i]!,
      concurrency: 64,
      idPrefix: `c${i}_`,
    }));
    const failed = replies.reduce((sum, r) => sum + r.failed, 0);
    if (failed > 0) {
      throw new Error(`${kind}: ${failed} of ${clients} clients failed to connect: ${replies.find((r) => r.firstError)?.firstError}\n${server.output()}`);
    }
    const ids: string[] = [];
    const longest = Math.max(...replies.map((r) => r.clientIds.length));
    for (let k = 0; k < longest; k++) for (const r of replies) if (k < r.clientIds.length) ids.push(r.clientIds[k]!);
    const publisher = new Publisher(
      { url: server.info.url, appId: server.info.appId ?? 'app_baseline', secret: server.info.secret ?? BASELINE_SECRET },
      options.messageBytes,
      64,
    );
    return { kind, server, agents, target, clients: ids, publisher, nextPhase: 1 };
  } catch (err) {
    await agents?.stop();
    await server.stop();
    throw err;
  }
}

export async function closeSession(session: DeliverySession): Promise<void> {
  session.publisher.close();
  await session.agents.all({ op: 'disconnect' }).catch(() => undefined);
  await session.agents.stop();
  await session.server.stop();
}

export type PublishPlan =
  | { readonly mode: 'burst'; readonly count: number; readonly perRequest: number; readonly inFlight: number }
  | { readonly mode: 'paced'; readonly rate: number; readonly durationMs: number; readonly perRequest: number; readonly maxInFlight: number };

export const DELIVERY_METRICS: readonly MetricSpec[] = [
  { key: 'msgsPerSec', label: 'delivered msgs/s', unit: 'msg/s', better: 'higher' },
  { key: 'p50Ms', label: 'latency p50', unit: 'ms', better: 'lower' },
  { key: 'p99Ms', label: 'latency p99', unit: 'ms', better: 'lower' },
  { key: 'maxMs', label: 'latency max', unit: 'ms', better: 'lower' },
  { key: 'cpuUsPerMsg', label: 'server CPU per msg', unit: 'µs', better: 'lower' },
  { key: 'lost', label: 'lost', unit: 'msgs', better: 'lower', sum: true },
];

/**
 * Publishes one phase and waits until every accepted message arrived, or until nothing
 * arrived for `stallMs`. Server CPU is read over the window from just before the first send
 * to the last delivery (plus a short settle, so acks and marks the messages caused count).
 */
export async function measureDelivery(
  session: DeliverySession,
  plan: PublishPlan,
  onProgress: (fraction: number) => void,
  stallMs = 15_000,
): Promise<{ measurement: Measurement; firstError: string | undefined }> {
  const { agents, server, publisher, clients } = session;
  const phase = session.nextPhase++;
  const expected = plan.mode === 'burst' ? plan.count : Math.floor((plan.rate * plan.durationMs) / 1000);
  await agents.all({ op: 'expect', phase, maxN: expected });

  const cpu0 = server.cpuSeconds();
  const gen0 = agents.cpuSeconds() + processCpuSeconds();
  const wall0 = nowUs();
  publisher.issued = 0;

  let receivedSoFar = 0;
  let pollRunning = true;
  const poll = (async () => {
    while (pollRunning) {
      const replies = await agents.all<ProgressReply>({ op: 'progress' });
      receivedSoFar = replies.reduce((sum, r) => sum + r.received, 0);
      onProgress(expected === 0 ? 1 : (publisher.issued + receivedSoFar) / (2 * expected));
      await sleep(100);
    }
  })();

  const published =
    plan.mode === 'burst'
      ? await publisher.burst({ clients, count: plan.count, perRequest: plan.perRequest, inFlight: plan.inFlight, phase })
      : await publisher.paced({
          clients,
          rate: plan.rate,
          durationMs: plan.durationMs,
          perRequest: plan.perRequest,
          maxInFlight: plan.maxInFlight,
          phase,
        });

  // Wait for the deliveries: done when all accepted arrived, or nothing moved for stallMs.
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const replies = await agents.all<ProgressReply>({ op: 'progress' });
    const got = replies.reduce((sum, r) => sum + r.received, 0);
    if (got >= published.accepted) break;
    if (got !== last) {
      last = got;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) break;
    await sleep(20);
  }
  const doneUs = nowUs();
  await sleep(250);
  const cpu1 = server.cpuSeconds();
  const gen1 = agents.cpuSeconds() + processCpuSeconds();
  pollRunning = false;
  await poll;

  const collected = await agents.all<CollectReply>({ op: 'collect', phase });
  const received = collected.reduce((sum, r) => sum + r.received, 0);
  const lastReceivedUs = Math.max(...collected.map((r) => r.lastReceivedUs));
  const latency = summariseLatency(collected.map((r) => r.latenciesUs));
  const windowS = Math.max(1e-6, (lastReceivedUs > 0 ? lastReceivedUs - published.startUs : published.endUs - published.startUs) / 1e6);
  const measuredS = Math.max(1e-6, (doneUs + 250_000 - wall0) / 1e6);
  const cpu = cpu1 - cpu0;
  const measurement: Measurement = {
    sent: published.sent,
    accepted: published.accepted,
    refused: published.refused,
    delivered: received,
    lost: published.accepted - received,
    duplicates: collected.reduce((sum, r) => sum + r.duplicates, 0),
    disconnects: collected.reduce((sum, r) => sum + r.disconnects, 0),
    msgsPerSec: received / windowS,
    offeredPerSec: published.sent / Math.max(1e-6, (published.endUs - published.startUs) / 1e6),
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    maxMs: latency.max,
    serverCpuS: cpu,
    cpuUsPerMsg: received > 0 ? (cpu * 1e6) / received : Number.NaN,
    serverCores: cpu / measuredS,
    loadGenCores: (gen1 - gen0) / measuredS,
    windowS,
    // Monotonic µs (the clock of V8's .cpuprofile too): `bench/profile.ts --from --to` takes them.
    windowStartUs: published.startUs,
    windowEndUs: lastReceivedUs > 0 ? lastReceivedUs : published.endUs,
  };
  return { measurement, firstError: published.firstError };
}

function processCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
