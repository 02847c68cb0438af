/**
 * The fault scenarios of `npm run chaos` (docs/reliability.md). Each runs bounded in time,
 * reports its progress, and returns what it measured and whether every promise held.
 */
import type { Progress } from '../bench/lib/progress.js';
import { runCrashLoop } from './crash-loop/scenario.js';

export interface ChaosOptions {
  /** Short forms (what `npm test` runs) instead of the full run's counts. */
  readonly quick: boolean;
  /** `sqlite`, `mysql`, or both. */
  readonly stores: readonly ('sqlite' | 'mysql')[];
  /** Kills per store (crash-loop); default 200, quick 5. */
  readonly kills?: number;
  /** A fresh MySQL database for each use, dropped by `drop`. */
  readonly mysqlDatabase: () => Promise<{ url: string; drop(): Promise<void> }>;
}

export interface ScenarioOutcome {
  readonly scenario: string;
  /** What it ran on (a store, a target). */
  readonly variant: string;
  readonly passed: boolean;
  /** The figures of the summary table, by column. */
  readonly figures: Readonly<Record<string, number | string>>;
  /** Everything it recorded, for the JSON result. */
  readonly details: unknown;
}

export interface ChaosScenario {
  readonly name: string;
  readonly summary: string;
  /** Units of work it reports to the progress bar. */
  units(options: ChaosOptions): number;
  run(options: ChaosOptions, progress: Progress): Promise<ScenarioOutcome[]>;
}

export const crashLoop: ChaosScenario = {
  name: 'crash-loop',
  summary: 'kill -9 the node at random moments under publishers, resuming clients and webhooks; check the history',
  units: (options) => options.stores.length,
  async run(options, progress) {
    const outcomes: ScenarioOutcome[] = [];
    const kills = options.kills ?? (options.quick ? 5 : 200);
    for (const store of options.stores) {
      progress.begin(`crash-loop on ${store}: ${kills} kills`);
      const db = store === 'mysql' ? await options.mysqlDatabase() : undefined;
      try {
        const result = await runCrashLoop({
          store: db?.url ?? 'sqlite', kills, minGapMs: 300, maxGapMs: options.quick ? 1200 : 3000,
          clients: 16, paceMs: 20, churnMs: 3000, settleMs: 60_000,
          onKill: (done, published) => progress.update(done / kills, `${done} kills, ${published} accepted`),
        });
        const { lost, duplicated, unexpected, reordered, backwards, webhookMissing } = result;
        outcomes.push({
          scenario: 'crash-loop', variant: store, passed: result.passed, details: result,
          figures: {
            faults: `${result.kills} kill -9`, accepted: result.accepted, lost: lost.length, duplicated: duplicated.length,
            other: unexpected.length + reordered.length + backwards.length + webhookMissing.length + result.refusals.length + (result.auditVerified ? 0 : 1),
            seconds: Math.round(result.seconds),
          },
        });
      } finally {
        await db?.drop();
        progress.end();
      }
    }
    return outcomes;
  },
};

export const SCENARIOS: readonly ChaosScenario[] = [crashLoop];
