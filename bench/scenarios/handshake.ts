/**
 * Scenario 5, handshake: new sessions per second, and sealpush's resumptions per second. The
 * agents open fresh clients as fast as they can (32 in flight each), and close each once it is
 * established: for sealpush a new static key, a Noise IK handshake and a new client in the
 * store; for the baselines a WebSocket (or Socket.IO) connection. Then, for sealpush only, the
 * same number of returning clients resume with the ticket their last session gave them
 * (Noise NNpsk0, docs/protocol.md section 2.6), each waiting for its next ticket before it
 * closes, so the server's cost of issuing one is counted. Reported per wall second and per
 * second of the server's CPU ("per server core"): on 2 shared cores the clients' own
 * handshakes bound the wall rate, the CPU figure is the server's capacity.
 */
import { AgentPool } from '../lib/agents.js';
import { sleep } from '../lib/clock.js';
import { startBenchServer, type ServerHandle } from '../lib/servers.js';
import type { HandshakeReply, SessionMode, Target } from '../load/protocol.js';
import { shares } from './delivery.js';
import type { BenchContext, BenchOptions, CaseResult, Measurement, Scenario } from './types.js';

const IN_FLIGHT_PER_AGENT = 32;

function sizes(options: BenchOptions): { total: number } {
  return { total: options.clients ?? (options.quick ? 1000 : 5000) };
}

/** One round of `total` sessions spread over the agents; measured or not. */
async function round(agents: AgentPool, target: Target, total: number, mode: SessionMode, idPrefix: string): Promise<HandshakeReply[]> {
  const counts = shares(total, agents.size);
  return agents.all<HandshakeReply>((i) => ({ op: 'handshakes', target, total: counts[i]!, inFlight: IN_FLIGHT_PER_AGENT, idPrefix: `${idPrefix}${i}_`, mode }));
}

/** A measured round: the server's CPU over it, and the sessions done per wall and CPU second. */
async function measure(ctx: BenchContext, server: ServerHandle, run: () => Promise<HandshakeReply[]>, what: string): Promise<Measurement> {
  await sleep(250);
  const cpu0 = server.cpuSeconds();
  const replies = await run();
  await sleep(250);
  const cpu = server.cpuSeconds() - cpu0;
  const done = replies.reduce((sum, r) => sum + r.done, 0);
  const failed = replies.reduce((sum, r) => sum + r.failed, 0);
  if (failed > 0) ctx.progress.note(`  handshake ${what}: ${failed} failed: ${replies.find((r) => r.firstError)?.firstError}`);
  const windowS = (Math.max(...replies.map((r) => r.endUs)) - Math.min(...replies.map((r) => r.startUs))) / 1e6;
  return {
    sessionsPerSec: done / windowS,
    sessionsPerCpuSec: cpu > 0 ? done / cpu : Number.NaN,
    cpuUsPerSession: done > 0 ? (cpu * 1e6) / done : Number.NaN,
    failed,
  };
}

const METRICS: CaseResult['metrics'] = [
  { key: 'sessionsPerSec', label: 'sessions/s (wall)', unit: '/s', better: 'higher' },
  { key: 'sessionsPerCpuSec', label: 'sessions per server CPU-s', unit: '/s', better: 'higher' },
  { key: 'cpuUsPerSession', label: 'server CPU per session', unit: 'µs', better: 'lower' },
  { key: 'failed', label: 'failed', unit: '', better: 'lower', sum: true },
];

export const handshake: Scenario = {
  name: 'handshake',
  summary: 'new secure sessions per second, and resumptions with a ticket (per second of server CPU)',
  units: (options) => options.servers.length * options.reps,
  async run(ctx: BenchContext): Promise<CaseResult[]> {
    const { options, progress } = ctx;
    const { total } = sizes(options);
    const runs: Record<string, Measurement[]> = {};
    const resumptions: Record<string, Measurement[]> = {};
    for (let rep = 0; rep < options.reps; rep++) {
      for (const kind of options.servers) {
        progress.begin(`handshake ${total} sessions ${kind} rep ${rep + 1}/${options.reps}`);
        const inFlight = IN_FLIGHT_PER_AGENT * options.agents;
        const server = await startBenchServer(kind, { sockets: inFlight * 4 + 256, durability: options.durability, nodeFlags: options.nodeFlags });
        const agents = await AgentPool.start(options.agents, inFlight * 4 + 64).catch(async (err: unknown) => {
          await server.stop();
          throw err;
        });
        try {
          const target: Target = { kind, url: server.info.url, appId: server.info.appId, serverKey: server.info.serverKey };
          // Warm-up: a tenth of the sessions, not measured.
          await round(agents, target, Math.max(agents.size, Math.floor(total / 10)), 'new', 'w');
          progress.update(0.1, 'measuring new sessions');
          (runs[kind] ??= []).push(await measure(ctx, server, () => round(agents, target, total, 'new', 'h'), kind));
          if (kind === 'sealpush') {
            // Returning clients: each gets its ticket first (not measured), then comes back with it.
            progress.update(0.5, 'preparing returning clients');
            await round(agents, target, total, 'prepare', 'r');
            progress.update(0.8, 'measuring resumptions');
            (resumptions[kind] ??= []).push(await measure(ctx, server, () => round(agents, target, total, 'resume', 'r'), 'sealpush resume'));
          }
        } finally {
          await agents.stop();
          await server.stop();
        }
        progress.end();
      }
    }
    const params = { sessions: total, inFlight: IN_FLIGHT_PER_AGENT * options.agents };
    const cases: CaseResult[] = [
      {
        scenario: 'handshake',
        case: `${total} sessions, ${IN_FLIGHT_PER_AGENT * options.agents} in flight`,
        subject: 'sealpush',
        baselines: options.servers.filter((s) => s !== 'sealpush'),
        metrics: METRICS,
        runs,
        params,
      },
    ];
    if (resumptions.sealpush) {
      cases.push({
        scenario: 'handshake',
        case: `${total} resumptions with a ticket (NNpsk0), ${IN_FLIGHT_PER_AGENT * options.agents} in flight`,
        subject: 'sealpush',
        baselines: [],
        metrics: METRICS,
        runs: resumptions,
        params,
      });
    }
    return cases;
  },
};
