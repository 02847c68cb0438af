/** What a scenario is, what it is given, and what it returns. */
import type { Progress } from '../lib/progress.js';
import type { ServerKind } from '../lib/servers.js';

export interface BenchOptions {
  readonly scenarios: readonly string[];
  readonly quick: boolean;
  readonly reps: number;
  readonly servers: readonly ServerKind[];
  /** sealpush's SQLite durability ('full' is the product default). */
  readonly durability: 'full' | 'normal';
  /** Load agent processes (clients are split between them). */
  readonly agents: number;
  /** Extra node flags for the server processes (BENCH_NODE_FLAGS). */
  readonly nodeFlags: readonly string[];
  /** Overrides of the scenarios' client and message counts (for smoke runs). */
  readonly clients?: number;
  readonly messages?: number;
  readonly messageBytes: number;
  /** unicast's publishing modes: 'batch' (100 per request) and/or 'single' (1 per request). */
  readonly modes: readonly ('batch' | 'single')[];
  /** Batch requests in flight at once (default 4: "a few"). */
  readonly batchInFlight: number;
}

export interface BenchContext {
  readonly options: BenchOptions;
  readonly progress: Progress;
  /** Figures one scenario leaves for another in the same run (latency reads unicast's maximum). */
  readonly shared: Map<string, number>;
}

/** One repetition's figures, by metric key. */
export type Measurement = Record<string, number>;

export interface MetricSpec {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  /** Which way is better; ratios are always subject / baseline. */
  readonly better: 'higher' | 'lower';
  /** Summed over repetitions instead of the median (counts that must be 0, like lost). */
  readonly sum?: boolean;
}

export interface CaseResult {
  readonly scenario: string;
  /** What distinguishes this case, e.g. "C=10000 batch 100/req". */
  readonly case: string;
  /** The system under test ('sealpush', or 'sealpush-store'). */
  readonly subject: string;
  /** What it is compared with, in the same run. */
  readonly baselines: readonly string[];
  readonly metrics: readonly MetricSpec[];
  /** Per system, one Measurement per repetition. */
  readonly runs: Record<string, Measurement[]>;
  /** Parameters of the case (for the JSON file). */
  readonly params: Record<string, number | string>;
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  /** Units of work (for the progress bar). */
  units(options: BenchOptions): number;
  run(ctx: BenchContext): Promise<CaseResult[]>;
}
