/**
 * Scenario 2, burst: few clients (C = 100), many messages each (1,000 per client), through
 * the batch endpoint. Where several messages wait for one client, sealpush can seal them
 * into one frame; the baselines send one frame per message.
 */
import { closeSession, DELIVERY_METRICS, measureDelivery, openSession } from './delivery.js';
import { batchPlan, warmupCount } from './unicast.js';
import type { BenchContext, BenchOptions, CaseResult, Measurement, Scenario } from './types.js';

function sizes(options: BenchOptions): { clients: number; messages: number } {
  const clients = options.clients ?? 100;
  const perClient = options.quick ? 200 : 1000;
  return { clients, messages: options.messages ?? clients * perClient };
}

export const burst: Scenario = {
  name: 'burst',
  summary: 'C = 100 clients, 1,000 messages each, batch endpoint',
  units: (options) => options.servers.length * options.reps,
  async run(ctx: BenchContext): Promise<CaseResult[]> {
    const BATCH_PLAN = batchPlan(ctx.options);
    const { options, progress } = ctx;
    const { clients, messages } = sizes(options);
    const runs: Record<string, Measurement[]> = {};
    for (let rep = 0; rep < options.reps; rep++) {
      for (const kind of options.servers) {
        progress.begin(`burst C=${clients} M=${messages} ${kind} rep ${rep + 1}/${options.reps}`);
        const session = await openSession(ctx, kind, clients);
        try {
          await measureDelivery(session, { mode: 'burst', count: warmupCount(messages), ...BATCH_PLAN }, (f) => progress.update(f * 0.1, 'warm-up'));
          const { measurement, firstError } = await measureDelivery(session, { mode: 'burst', count: messages, ...BATCH_PLAN }, (f) =>
            progress.update(0.1 + f * 0.9, 'burst'),
          );
          if (firstError) progress.note(`  ${kind}: ${measurement.refused} refused: ${firstError}`);
          (runs[kind] ??= []).push(measurement);
        } finally {
          await closeSession(session);
        }
        progress.end();
      }
    }
    return [
      {
        scenario: 'burst',
        case: `C=${clients} ${Math.round(messages / clients)}/client`,
        subject: 'sealpush',
        baselines: options.servers.filter((s) => s !== 'sealpush'),
        metrics: DELIVERY_METRICS,
        runs,
        params: { clients, messages, messageBytes: options.messageBytes, ...BATCH_PLAN },
      },
    ];
  },
};
