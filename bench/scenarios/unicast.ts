/**
 * Scenario 1, unicast: C connected clients (1k and 10k), M messages of 256 bytes addressed
 * round-robin, published through the batch endpoint (100 per request, 4 requests in
 * flight) and, separately, one per request (16 in flight).
 */
import { closeSession, DELIVERY_METRICS, measureDelivery, openSession, type PublishPlan } from './delivery.js';
import type { BenchContext, BenchOptions, CaseResult, Measurement, Scenario } from './types.js';
import { median } from '../lib/stats.js';

/** The batch endpoint's plan: 100 messages per request, `--batch-in-flight` (default 4) at a time. */
export function batchPlan(options: BenchOptions): { perRequest: number; inFlight: number } {
  return { perRequest: 100, inFlight: options.batchInFlight };
}
export const SINGLE_PLAN = { perRequest: 1, inFlight: 16 } as const;

function sizes(options: BenchOptions): { clients: number[]; messages: number } {
  const clients = options.clients !== undefined ? [options.clients] : options.quick ? [200, 1000] : [1000, 10_000];
  const messages = options.messages ?? (options.quick ? 20_000 : 100_000);
  return { clients, messages };
}

export function warmupCount(messages: number): number {
  return Math.max(100, Math.min(5000, Math.floor(messages / 20)));
}

export const unicast: Scenario = {
  name: 'unicast',
  summary: 'C clients (1k, 10k), M >= 100k messages of 256 B round-robin: batch endpoint (100/request) and one per request',
  units: (options) => sizes(options).clients.length * options.servers.length * options.reps,
  async run(ctx: BenchContext): Promise<CaseResult[]> {
    const { options, progress } = ctx;
    const { clients: clientCounts, messages } = sizes(options);
    const results: CaseResult[] = [];
    const BATCH_PLAN = batchPlan(options);
    for (const C of clientCounts) {
      const batch: Record<string, Measurement[]> = {};
      const single: Record<string, Measurement[]> = {};
      for (let rep = 0; rep < options.reps; rep++) {
        for (const kind of options.servers) {
          progress.begin(`unicast C=${C} M=${messages} ${kind} rep ${rep + 1}/${options.reps}`);
          const session = await openSession(ctx, kind, C);
          try {
            const step = (from: number, span: number, label: string) => (f: number) => progress.update(from + f * span, label);
            const run = async (plan: PublishPlan, from: number, label: string): Promise<Measurement> => {
              const { measurement, firstError } = await measureDelivery(session, plan, step(from, 0.45, label));
              if (firstError) progress.note(`  ${kind} ${label}: ${measurement.refused} refused: ${firstError}`);
              return measurement;
            };
            const warm = warmupCount(messages);
            if (options.modes.includes('batch')) {
              await measureDelivery(session, { mode: 'burst', count: warm, ...BATCH_PLAN }, step(0, 0.05, 'warm-up'));
              (batch[kind] ??= []).push(await run({ mode: 'burst', count: messages, ...BATCH_PLAN }, 0.05, 'batch'));
            }
            if (options.modes.includes('single')) {
              await measureDelivery(session, { mode: 'burst', count: Math.min(warm, 1000), ...SINGLE_PLAN }, step(0.5, 0.05, 'warm-up'));
              (single[kind] ??= []).push(await run({ mode: 'burst', count: messages, ...SINGLE_PLAN }, 0.55, 'single'));
            }
          } finally {
            await closeSession(session);
          }
          progress.end();
        }
      }
      for (const kind of options.modes.includes('batch') ? options.servers : []) {
        ctx.shared.set(`unicast-batch:${kind}:${C}`, median((batch[kind] ?? []).map((m) => m.msgsPerSec!)));
      }
      const common = { clients: C, messages, messageBytes: options.messageBytes };
      if (options.modes.includes('batch')) results.push(caseResult(`C=${C} batch ${BATCH_PLAN.perRequest}/req${BATCH_PLAN.inFlight !== 4 ? ` x${BATCH_PLAN.inFlight}` : ''}`, batch, ctx, { ...common, ...BATCH_PLAN }));
      if (options.modes.includes('single')) results.push(caseResult(`C=${C} single 1/req`, single, ctx, { ...common, ...SINGLE_PLAN }));
    }
    return results;
  },
};

function caseResult(name: string, runs: Record<string, Measurement[]>, ctx: BenchContext, params: Record<string, number>): CaseResult {
  return {
    scenario: 'unicast',
    case: name,
    subject: 'sealpush',
    baselines: ctx.options.servers.filter((s) => s !== 'sealpush'),
    metrics: DELIVERY_METRICS,
    runs,
    params,
  };
}
