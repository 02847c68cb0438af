/**
 * The fault scenarios of `npm run chaos` (docs/reliability.md). Each runs bounded in time,
 * reports its progress, and returns what it measured and whether every promise held.
 */
import type { Progress } from '../bench/lib/progress.js';
import { runClients } from './clients/scenario.js';
import { CLIENTS_FULL, CLIENTS_QUICK } from './clients/variants.js';
import { runClockSteps } from './clock-steps/scenario.js';
import { FULL_CLOCK_STEPS, QUICK_CLOCK_STEPS } from './clock-steps/plan.js';
import { runCrashLoop } from './crash-loop/scenario.js';
import { mountPermitted } from './disk-full/filesystem.js';
import { runDiskFull } from './disk-full/scenario.js';
import { diskFullVariants } from './disk-full/variants.js';
import { FAULTS, enginesRedisRun, runEnginesRedis } from './engines-redis/scenario.js';
import { enginesMysqlFaults, enginesMysqlOutcome } from './engines/runs.js';

export interface ChaosOptions {
  /** Short forms (what `npm test` runs) instead of the full run's counts. */
  readonly quick: boolean;
  /** `sqlite`, `mysql`, or both. */
  readonly stores: readonly ('sqlite' | 'mysql')[];
  /** Kills per store (crash-loop); default 200, quick 5. */
  readonly kills?: number;
  /** Clients in the reconnect storm (clients); default 10000, quick 300. */
  readonly storm?: number;
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

const DISK_FULL_PHASES = ['filling', 'grown', 'delivering', 'restarted'];

export const diskFull: ChaosScenario = {
  name: 'disk-full',
  summary: 'fill a small tmpfs under the SQLite data while publishing, grow it under the running node; SQLite only',
  units: (options) => (options.stores.includes('sqlite') ? diskFullVariants(options.quick).length : 0),
  async run(options, progress) {
    if (!options.stores.includes('sqlite')) return [];
    if (!mountPermitted()) {
      const reason = 'cannot mount a tmpfs: run as root (or with CAP_SYS_ADMIN)';
      return [{ scenario: 'disk-full', variant: 'sqlite', passed: false, figures: { other: reason }, details: { problems: [reason] } }];
    }
    const outcomes: ScenarioOutcome[] = [];
    for (const variant of diskFullVariants(options.quick)) {
      progress.begin(`disk-full: ${variant.name}`);
      try {
        const result = await runDiskFull({ ...variant.options, onPhase: (phase, done) => progress.update(done / DISK_FULL_PHASES.length, phase) });
        const { filled, recovery, answers } = result;
        outcomes.push({
          scenario: 'disk-full', variant: variant.name, passed: result.passed, details: result,
          figures: {
            faults: `${filled.refused} x 503`, accepted: result.accepted.length, lost: result.lost.length, duplicated: result.duplicated.length,
            other: result.problems.length,
            'not 202/503': Object.entries(answers).filter(([code]) => code !== '202' && code !== 'ERR_UNAVAILABLE').reduce((n, [, k]) => n + k, 0),
            'recovered in': `${recovery.msToFirstAccept} ms`, seconds: Math.round(result.seconds),
          },
        });
      } finally {
        progress.end();
      }
    }
    return outcomes;
  },
};

export const clockSteps: ChaosScenario = {
  name: 'clock-steps',
  summary: "step the node's wall clock forward and back under load; check windows, replays, tokens, ttl, limits",
  units: (options) => options.stores.length,
  async run(options, progress) {
    const outcomes: ScenarioOutcome[] = [];
    const plan = options.quick ? QUICK_CLOCK_STEPS : FULL_CLOCK_STEPS;
    for (const store of options.stores) {
      progress.begin(`clock-steps on ${store}: ${plan.steps.length} steps`);
      const db = store === 'mysql' ? await options.mysqlDatabase() : undefined;
      try {
        const result = await runClockSteps({
          store: db?.url ?? 'sqlite', ...plan,
          onStep: (done, offset, accepted) => progress.update(done / plan.steps.length, `clock ${offset} s off, ${accepted} accepted`),
        });
        const { lost, duplicated, unexpected, reordered, backwards, judged } = result;
        outcomes.push({
          scenario: 'clock-steps', variant: store, passed: result.passed, details: result,
          figures: {
            faults: `${plan.steps.length} steps`, accepted: result.accepted, lost: lost.length, duplicated: duplicated.length,
            'replays accepted': `${judged.replaysAccepted} of ${judged.replays}`,
            other: unexpected.length + reordered.length + backwards.length + judged.problems.length + result.refusals.length + (result.auditVerified ? 0 : 1),
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

export const enginesMysql: ChaosScenario = {
  name: 'engines-mysql',
  summary: 'restart, SIGSTOP, reset and blackhole a private MariaDB under a loaded node; MySQL only',
  units: (options) => (options.stores.includes('mysql') ? 1 : 0),
  async run(options, progress) {
    if (!options.stores.includes('mysql')) return [];
    progress.begin(`engines-mysql: ${enginesMysqlFaults(options.quick)} faults`);
    try {
      const outcome = await enginesMysqlOutcome(options.quick, (done, total, last) => progress.update(done / total, `${done} faults, last ${last}`));
      return [{ scenario: 'engines-mysql', variant: 'mariadb', ...outcome }];
    } finally {
      progress.end();
    }
  },
};

export const enginesRedis: ChaosScenario = {
  name: 'engines-redis',
  summary: 'three nodes on MySQL and a Redis of their own, under load: Redis restarted empty, Redis flushed, a node SIGSTOPped past the presence ttl; MySQL only',
  units: (options) => (options.stores.includes('mysql') ? 1 : 0),
  async run(options, progress) {
    if (!options.stores.includes('mysql')) return [];
    const run = enginesRedisRun(options.quick);
    const faults = run.rounds * FAULTS.length;
    progress.begin(`engines-redis: ${faults} faults`);
    const db = await options.mysqlDatabase();
    try {
      const result = await runEnginesRedis({ ...run, mysqlUrl: db.url, onFault: (done, fault, published) => progress.update(done / faults, `${fault}, ${published} accepted`) });
      const slowest = (kind: string): string => `${Math.max(...result.faults.filter((f) => f.fault === kind).map((f) => f.recoveredMs ?? Infinity))} ms`;
      return [{
        scenario: 'engines-redis', variant: 'mysql+redis', passed: result.passed, details: result,
        figures: {
          faults: `${faults} faults`, accepted: result.accepted, lost: result.lost.length, duplicated: result.duplicated.length,
          other: result.unexpected.length + result.reordered.length + result.backwards.length + result.refusals.length + result.problems.length,
          'replays let through': result.replaysAccepted,
          'recovered in': FAULTS.map((kind) => `${kind.replace(/^redis-/, '')} ${slowest(kind)}`).join(', '), seconds: Math.round(result.seconds),
        },
      }];
    } finally {
      await db.drop();
      progress.end();
    }
  },
};

const CLIENTS_STEPS = ['stalled', 'back', 'connected', 'storm'];

export const clients: ChaosScenario = {
  name: 'clients',
  summary: 'clients that stop reading or vanish behind a blackhole, then a reconnect storm after kill -9; SQLite only',
  units: (options) => (options.stores.includes('sqlite') ? 1 : 0),
  async run(options, progress) {
    if (!options.stores.includes('sqlite')) return [];
    const counts = { ...(options.quick ? CLIENTS_QUICK : CLIENTS_FULL), ...(options.storm === undefined ? {} : { stormClients: options.storm }) };
    progress.begin(`clients: ${counts.slow} slow, ${counts.vanishing} vanishing, a storm of ${counts.stormClients}`);
    try {
      const result = await runClients({
        ...counts,
        onStep: (step, done) => progress.update((CLIENTS_STEPS.indexOf(step) + done) / CLIENTS_STEPS.length, step === 'storm' ? `storm: ${Math.round(done * 100)}% resumed` : step),
      });
      const { stall, storm } = result;
      const history = [stall.history, storm.history];
      return [{
        scenario: 'clients', variant: 'sqlite', passed: result.passed, details: result,
        figures: {
          faults: `${stall.slow.length} stopped, ${stall.vanished.length} vanished, ${storm.clients} storm`,
          accepted: history.reduce((n, h) => n + h.accepted, 0),
          lost: history.reduce((n, h) => n + h.lost.length, 0),
          duplicated: history.reduce((n, h) => n + h.duplicated.length, 0),
          other: result.problems.length,
          'storm s': storm.stormMs === null ? 'never' : (storm.stormMs / 1000).toFixed(1),
          seconds: Math.round(result.seconds),
        },
      }];
    } finally {
      progress.end();
    }
  },
};

export const SCENARIOS: readonly ChaosScenario[] = [crashLoop, diskFull, enginesMysql, enginesRedis, clockSteps, clients];
