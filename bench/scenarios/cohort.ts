/**
 * Scenario 7, cohort: the price of cohort delivery (docs/cohort.md). C = 10,000 connected
 * clients of one app, cut into cohorts of K = 16, 64, 256 and 10,000. On every tick a tenth of
 * the clients have one 256-byte message due. Measured per tick, in this process, on the code
 * the server runs (crypto/cohort.ts over node:crypto, the gateway's choice of slot size and
 * count, `envelopeShape`): the CPU time to build every cohort's envelope, and the bytes each client receives.
 * Baseline, same run, same messages: direct delivery, one sealed transport frame per client
 * with something due (FrameSealer, as the gateway sends it) and nothing for the others.
 */
import { randomBytes } from 'node:crypto';
import { sealCohortEnvelope, COHORT_SALT_BYTES } from '../../src/crypto/cohort.js';
import { envelopeShape } from '../../src/transport/ws/cohort-group.js';
import { encodeDeliver } from '../../src/crypto/frames.js';
import { FrameSealer } from '../../src/crypto/node/frame-cipher.js';
import { nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';
import { DEFAULT_COHORT } from '../../src/domain/delivery-settings.js';
import type { DeliverableMessage } from '../../src/domain/types.js';
import { benchData } from '../lib/publisher.js';
import type { BenchContext, CaseResult, Measurement, Scenario } from './types.js';

const COHORT_SIZES = [16, 64, 256, 10_000] as const;
/** Share of the clients with a message due at each tick. */
const DUE_SHARE = 0.1;

function sizes(ctx: BenchContext): { clients: number; ticks: number } {
  const { options } = ctx;
  return { clients: options.clients ?? (options.quick ? 1000 : 10_000), ticks: options.quick ? 3 : 10 };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Slot counts as the defaults grow them (powers of two) up to K. */
function slotCountsFor(k: number): number[] {
  const counts: number[] = [];
  for (let n = DEFAULT_COHORT.slotCounts[0]!; n < k; n *= 2) counts.push(n);
  counts.push(k);
  return counts;
}

interface Member {
  readonly secret: Uint8Array;
  readonly sealer: FrameSealer;
}

function dueBundles(clients: number, tick: number, messageBytes: number): (Uint8Array | null)[] {
  return Array.from({ length: clients }, (_, i) => {
    if ((i + tick * 7) % Math.round(1 / DUE_SHARE) !== 0) return null;
    const message: DeliverableMessage = { seq: tick + 1, id: `m-${tick}-${i}`, createdAt: Date.now(), data: new TextEncoder().encode(benchData(0, i, 0, messageBytes)) };
    return encodeDeliver([message]);
  });
}

/** One tick of cohort delivery, as CohortGroup does it; returns bytes sent to all clients. */
async function cohortTick(members: readonly Member[], k: number, tick: number, bundles: readonly (Uint8Array | null)[]): Promise<number> {
  const settings = { slotBytes: DEFAULT_COHORT.slotBytes, slotCounts: slotCountsFor(k) };
  let bytes = 0;
  for (let i = 0; i < members.length; i += k) {
    const cohort = members.slice(i, i + k);
    const own = bundles.slice(i, i + k).map((b) => b ?? new Uint8Array(0));
    const { slotBytes, slotCount } = envelopeShape(settings, own);
    const envelope = await sealCohortEnvelope(
      nodeNoiseCrypto,
      { appId: 'app_bench', tick, salt: randomBytes(COHORT_SALT_BYTES), slotCount, slotBytes },
      cohort.map((m, j) => ({ secret: m.secret, counter: tick, bundle: own[j]! })),
      (n) => randomBytes(n),
    );
    bytes += envelope.length * cohort.length; // the same bytes to every member
  }
  return bytes;
}

function directTick(members: readonly Member[], bundles: readonly (Uint8Array | null)[]): number {
  let bytes = 0;
  members.forEach((m, i) => {
    const bundle = bundles[i];
    if (bundle) bytes += m.sealer.seal(bundle).length;
  });
  return bytes;
}

export const cohort: Scenario = {
  name: 'cohort',
  summary: 'cohort envelopes for C = 10,000 clients in cohorts of K = 16, 64, 256, 10,000: CPU per tick, bytes per client per tick',
  units: (options) => COHORT_SIZES.length * options.reps,
  async run(ctx: BenchContext): Promise<CaseResult[]> {
    const { options, progress } = ctx;
    const { clients, ticks } = sizes(ctx);
    const members: Member[] = Array.from({ length: clients }, () => ({ secret: new Uint8Array(randomBytes(32)), sealer: new FrameSealer(new Uint8Array(randomBytes(32))) }));
    const results: CaseResult[] = [];
    for (const k of COHORT_SIZES) {
      const runs: Record<string, Measurement[]> = { 'sealpush-cohort': [], 'sealpush-direct': [] };
      for (let rep = 0; rep < options.reps; rep++) {
        progress.begin(`cohort K=${k} C=${clients} rep ${rep + 1}/${options.reps}`);
        let cohortCpu = 0;
        let directCpu = 0;
        let cohortBytes = 0;
        let directBytes = 0;
        for (let tick = 0; tick < ticks; tick++) {
          const bundles = dueBundles(clients, tick, options.messageBytes);
          let t0 = cpuMs();
          cohortBytes += await cohortTick(members, k, tick, bundles);
          cohortCpu += cpuMs() - t0;
          t0 = cpuMs();
          directBytes += directTick(members, bundles);
          directCpu += cpuMs() - t0;
          progress.update((tick + 1) / ticks);
          await new Promise((resolve) => setImmediate(resolve));
        }
        const measure = (cpu: number, bytes: number): Measurement => ({
          cpuMsPerTick: cpu / ticks,
          cpuUsPerClientTick: (cpu * 1000) / ticks / clients,
          bytesPerClientTick: bytes / ticks / clients,
        });
        runs['sealpush-cohort']!.push(measure(cohortCpu, cohortBytes));
        runs['sealpush-direct']!.push(measure(directCpu, directBytes));
        progress.end();
      }
      results.push({
        scenario: 'cohort',
        case: `K=${k} C=${clients}`,
        subject: 'sealpush-cohort',
        baselines: ['sealpush-direct'],
        metrics: [
          { key: 'cpuMsPerTick', label: 'CPU per tick (all envelopes)', unit: 'ms', better: 'lower' },
          { key: 'cpuUsPerClientTick', label: 'CPU per client per tick', unit: 'µs', better: 'lower' },
          { key: 'bytesPerClientTick', label: 'bytes per client per tick', unit: 'B', better: 'lower' },
        ],
        runs,
        params: { cohortSize: k, clients, ticks, dueShare: DUE_SHARE, messageBytes: options.messageBytes, slotBytes: DEFAULT_COHORT.slotBytes.join(',') },
      });
    }
    return results;
  },
};
