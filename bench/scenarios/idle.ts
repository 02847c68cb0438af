/**
 * Scenario 4, idle: the server's resident memory per idle connection, from VmRSS before
 * and after C = 10,000 connections (sealpush: completed secure sessions) are opened and
 * left idle. Each reading waits for RSS to settle (two readings 500 ms apart within 1%).
 */
import { AgentPool } from '../lib/agents.js';
import { sleep } from '../lib/clock.js';
import { startBenchServer, type ServerHandle } from '../lib/servers.js';
import type { ConnectReply, Target } from '../load/protocol.js';
import { shares } from './delivery.js';
import type { BenchContext, BenchOptions, CaseResult, Measurement, Scenario } from './types.js';

function sizes(options: BenchOptions): { clients: number } {
  return { clients: options.clients ?? (options.quick ? 1000 : 10_000) };
}

async function settledRss(server: ServerHandle, maxMs = 6000): Promise<number> {
  let previous = server.rssBytes();
  const deadline = Date.now() + maxMs;
  for (;;) {
    await sleep(500);
    const now = server.rssBytes();
    if (Math.abs(now - previous) <= previous * 0.01 || Date.now() > deadline) return now;
    previous = now;
  }
}

export const idle: Scenario = {
  name: 'idle',
  summary: 'RSS per idle connection at C = 10,000 connections',
  units: (options) => options.servers.length * options.reps,
  async run(ctx: BenchContext): Promise<CaseResult[]> {
    const { options, progress } = ctx;
    const { clients } = sizes(options);
    const runs: Record<string, Measurement[]> = {};
    for (let rep = 0; rep < options.reps; rep++) {
      for (const kind of options.servers) {
        progress.begin(`idle C=${clients} ${kind} rep ${rep + 1}/${options.reps}`);
        const server = await startBenchServer(kind, { sockets: clients + 256, durability: options.durability, nodeFlags: options.nodeFlags });
        const agentCount = Math.max(1, Math.min(options.agents, clients));
        const agents = await AgentPool.start(agentCount, Math.ceil(clients / agentCount) + 64).catch(async (err: unknown) => {
          await server.stop();
          throw err;
        });
        try {
          progress.update(0.05, 'settling');
          const before = await settledRss(server);
          const cpu0 = server.cpuSeconds();
          progress.update(0.2, `connecting ${clients}`);
          const target: Target = { kind, url: server.info.url, appId: server.info.appId, serverKey: server.info.serverKey };
          const counts = shares(clients, agentCount);
          const started = Date.now();
          const replies = await agents.all<ConnectReply>((i) => ({ op: 'connect', target, count: counts[i]!, concurrency: 64, idPrefix: `c${i}_` }));
          const connectS = (Date.now() - started) / 1000;
          const cpu = server.cpuSeconds() - cpu0;
          const failed = replies.reduce((sum, r) => sum + r.failed, 0);
          if (failed > 0) throw new Error(`idle: ${kind}: ${failed} clients failed to connect: ${replies.find((r) => r.firstError)?.firstError}`);
          progress.update(0.7, 'settling');
          const after = await settledRss(server);
          (runs[kind] ??= []).push({
            rssPerConnBytes: (after - before) / clients,
            rssBeforeMiB: before / 2 ** 20,
            rssAfterMiB: after / 2 ** 20,
            connectPerSec: clients / connectS,
            connectSeconds: connectS,
            connectCpuUsPerConn: (cpu * 1e6) / clients,
          });
          await agents.all({ op: 'disconnect' }).catch(() => undefined);
        } finally {
          await agents.stop();
          await server.stop();
        }
        progress.end();
      }
    }
    return [
      {
        scenario: 'idle',
        case: `C=${clients} idle connections`,
        subject: 'sealpush',
        baselines: options.servers.filter((s) => s !== 'sealpush'),
        metrics: [
          { key: 'rssPerConnBytes', label: 'RSS per connection', unit: 'B', better: 'lower' },
          { key: 'rssAfterMiB', label: 'RSS with all connected', unit: 'MiB', better: 'lower' },
          { key: 'connectSeconds', label: `time to connect ${clients}`, unit: 's', better: 'lower' },
          { key: 'connectCpuUsPerConn', label: 'server CPU per connect', unit: 'µs', better: 'lower' },
        ],
        runs,
        params: { clients },
      },
    ];
  },
};
