/**
 * Scenario 3, latency: C = 10,000 clients (issue 16's load), messages paced at 2,000 msgs/s (one per request)
 * and at half of sealpush's maximum (batch endpoint, whatever is due each millisecond).
 * The maximum is unicast's batch figure for sealpush at the same C from this run, or, when
 * unicast did not run, a short calibration burst against sealpush. Every server is paced at
 * the same rates, so their latencies compare at equal load.
 */
import { closeSession, DELIVERY_METRICS, measureDelivery, openSession, type PublishPlan } from './delivery.js';
import { batchPlan, warmupCount } from './unicast.js';
import type { BenchContext, BenchOptions, CaseResult, Measurement, Scenario } from './types.js';

const LOW_RATE = 2000;

function sizes(options: BenchOptions): { clients: number; durationMs: number } {
  const clients = options.clients ?? (options.quick ? 200 : 10_000);
  const durationMs =
    options.messages !== undefined ? Math.max(250, Math.min(5000, (options.messages / LOW_RATE) * 1000)) : options.quick ? 2000 : 5000;
  return { clients, durationMs };
}

export const latency: Scenario = {
  name: 'latency',
  summary: 'C = 10,000; paced at 2,000 msgs/s and at half of sealpush\'s maximum: p50/p99',
  units: (options) => options.servers.length * options.reps,
  async run(ctx: BenchContext): Promise<CaseResult[]> {
    const BATCH_PLAN = batchPlan(ctx.options);
    const { options, progress, shared } = ctx;
    const { clients, durationMs } = sizes(options);
    const servers = [...options.servers].sort((a, b) => (a === 'sealpush' ? -1 : b === 'sealpush' ? 1 : 0));
    let highRate = shared.get(`unicast-batch:sealpush:${clients}`);
    const maxSource = highRate === undefined ? 'calibration burst' : 'unicast batch, same run';
    const low: Record<string, Measurement[]> = {};
    const high: Record<string, Measurement[]> = {};
    for (let rep = 0; rep < options.reps; rep++) {
      for (const kind of servers) {
        progress.begin(`latency C=${clients} ${kind} rep ${rep + 1}/${options.reps}`);
        const session = await openSession(ctx, kind, clients);
        try {
          const warm = warmupCount(Math.floor((LOW_RATE * durationMs) / 1000) * 4);
          const calibrate = await measureDelivery(session, { mode: 'burst', count: warm * 4, ...BATCH_PLAN }, (f) =>
            progress.update(f * 0.1, 'warm-up'),
          );
          if (highRate === undefined || !Number.isFinite(highRate)) {
            if (kind !== 'sealpush') throw new Error('latency: sealpush must be among the servers (its maximum sets the rate)');
            highRate = calibrate.measurement.msgsPerSec!;
            progress.note(`  latency: sealpush's maximum at C=${clients} (calibration burst): ${Math.round(highRate)} msgs/s`);
          }
          const half = Math.max(LOW_RATE, Math.round(highRate / 2 / 100) * 100);
          const plans: [Record<string, Measurement[]>, PublishPlan, string][] = [
            [low, { mode: 'paced', rate: LOW_RATE, durationMs, perRequest: 1, maxInFlight: 64 }, `${LOW_RATE}/s`],
            [high, { mode: 'paced', rate: half, durationMs, perRequest: BATCH_PLAN.perRequest, maxInFlight: 16 }, `${half}/s`],
          ];
          let from = 0.1;
          for (const [runs, plan, label] of plans) {
            const { measurement, firstError } = await measureDelivery(session, plan, (f) => progress.update(from + f * 0.45, label));
            if (firstError) progress.note(`  ${kind} ${label}: ${measurement.refused} refused: ${firstError}`);
            (runs[kind] ??= []).push({ ...measurement, rate: plan.mode === 'paced' ? plan.rate : 0 });
            from += 0.45;
          }
        } finally {
          await closeSession(session);
        }
        progress.end();
      }
    }
    const half = Math.max(LOW_RATE, Math.round((highRate ?? 0) / 2 / 100) * 100);
    const baselines = options.servers.filter((s) => s !== 'sealpush');
    const params = { clients, durationMs, messageBytes: options.messageBytes };
    return [
      { scenario: 'latency', case: `C=${clients} paced ${LOW_RATE}/s`, subject: 'sealpush', baselines, metrics: DELIVERY_METRICS, runs: low, params: { ...params, rate: LOW_RATE, perRequest: 1 } },
      {
        scenario: 'latency',
        case: `C=${clients} paced ${half}/s (half max)`,
        subject: 'sealpush',
        baselines,
        metrics: DELIVERY_METRICS,
        runs: high,
        params: { ...params, rate: half, perRequest: BATCH_PLAN.perRequest, sealpushMaxMsgsPerSec: Math.round(highRate ?? 0), maxSource },
      },
    ];
  },
};
