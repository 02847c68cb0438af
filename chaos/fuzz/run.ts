/**
 * One fuzzing run: start the target, run the REST and/or WebSocket cases against it, then
 * judge the server as a whole (alive, /healthz, an SDK round trip, RSS growth) and stop it.
 */
import { Oracle, type CaseRef, type Finding } from './oracle.js';
import { recordSdkTraffic, runRest } from './rest.js';
import { startTarget, type FuzzTarget } from './target.js';
import { runWs, type FrameCounts } from './ws.js';

export type FuzzTargetName = 'rest' | 'ws' | 'all';

export interface FuzzOptions {
  readonly target: FuzzTargetName;
  /** Cases per target: requests for REST, connections for the WebSocket. */
  readonly cases: number;
  /** WebSocket connections, when not `cases` (each carries many frames). */
  readonly wsCases?: number;
  readonly seed: number;
  /** Cases in flight at once, per target. */
  readonly concurrency: number;
  /** Replay one case index alone. */
  readonly only?: number;
  /** RSS growth past which the run fails. */
  readonly rssBoundBytes: number;
  readonly onProgress?: (target: 'rest' | 'ws', done: number) => void;
}

export interface TargetResult {
  readonly cases: number;
  readonly seconds: number;
  readonly casesPerSecond: number;
  readonly accepted: number;
  readonly hungUp: number;
  readonly refusals: Record<string, number>;
  readonly status5xx: number;
}

export interface FuzzResult {
  readonly seed: number;
  readonly target: FuzzTargetName;
  readonly rest?: TargetResult;
  readonly ws?: TargetResult & { readonly frames: FrameCounts; readonly framesPerSecond: number };
  readonly crashes: number;
  /**
   * The server's RSS: before the cases, its highest sample during them (one a second), and
   * after them at rest (the lowest of a few samples a second apart: not a transient peak of
   * in-flight 5 MiB bodies waiting for the garbage collector).
   */
  readonly rss: { readonly beforeBytes: number; readonly peakBytes: number; readonly afterBytes: number; readonly boundBytes: number };
  readonly findingCount: number;
  /** The first findings, each with the seed and index that replay it. */
  readonly findings: readonly Finding[];
  readonly passed: boolean;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const target = await startTarget();
  const whole = new Oracle();
  const ref: CaseRef = { target: options.target === 'ws' ? 'ws' : 'rest', seed: options.seed, index: -1, label: 'the server after the run' };
  try {
    const ctx = await recordSdkTraffic(target);
    const rssBefore = target.rss();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => target.alive() && (rssPeak = Math.max(rssPeak, target.rss())), 1000);
    const run = { seed: options.seed, cases: options.cases, concurrency: options.concurrency, ...(options.only === undefined ? {} : { only: options.only }) };
    let rest: { oracle: Oracle; seconds: number } | undefined;
    let ws: { oracle: Oracle; seconds: number; frames: FrameCounts } | undefined;
    if (options.target !== 'ws') {
      const oracle = new Oracle();
      const seconds = await timed(() => runRest(target, ctx, oracle, { ...run, onCase: (done) => options.onProgress?.('rest', done) }));
      rest = { oracle, seconds };
    }
    if (options.target !== 'rest' && target.alive()) {
      const oracle = new Oracle();
      const frames: FrameCounts = { sent: 0, mutated: 0 };
      const wsRun = { ...run, cases: options.wsCases ?? options.cases };
      const seconds = await timed(() => runWs(target, oracle, { ...wsRun, onCase: (done) => options.onProgress?.('ws', done) }, frames));
      ws = { oracle, seconds, frames };
    }
    clearInterval(sampler);
    whole.judgeProcess(ref, target.alive(), await target.healthz());
    const rssAfter = await restingRss(target);
    if (target.alive()) {
      const trouble = await target.roundTrip();
      whole.judgeHealthy(ref, trouble === undefined, trouble ?? '');
      whole.judgeMemory(ref, rssBefore, rssAfter, options.rssBoundBytes);
    }
    const oracles = [rest?.oracle, ws?.oracle, whole].filter((o): o is Oracle => o !== undefined);
    const casesOf = (n: number): number => (options.only === undefined ? n : 1);
    return {
      seed: options.seed,
      target: options.target,
      ...(rest ? { rest: summary(rest.oracle, casesOf(options.cases), rest.seconds) } : {}),
      ...(ws ? { ws: { ...summary(ws.oracle, casesOf(options.wsCases ?? options.cases), ws.seconds), frames: ws.frames, framesPerSecond: Math.round(ws.frames.sent / ws.seconds) } } : {}),
      crashes: oracles.reduce((sum, o) => sum + o.crashes, 0),
      rss: { beforeBytes: rssBefore, peakBytes: rssPeak, afterBytes: rssAfter, boundBytes: options.rssBoundBytes },
      findingCount: oracles.reduce((sum, o) => sum + o.findingCount, 0),
      findings: oracles.flatMap((o) => o.findings).slice(0, 100),
      passed: oracles.every((o) => o.passed),
    };
  } finally {
    await target.stop();
  }
}

function summary(oracle: Oracle, cases: number, seconds: number): TargetResult {
  return {
    cases,
    seconds: Math.round(seconds * 10) / 10,
    casesPerSecond: Math.round(cases / seconds),
    accepted: oracle.accepted,
    hungUp: oracle.hungUp,
    refusals: Object.fromEntries([...oracle.refusals].sort((a, b) => b[1] - a[1])),
    status5xx: oracle.status5xx,
  };
}

/** Samples a second apart once the cases are done, for the resting RSS. */
const RESTING_SAMPLES = 5;

async function restingRss(target: FuzzTarget): Promise<number> {
  let lowest = Infinity;
  for (let n = 0; n < RESTING_SAMPLES && target.alive(); n++) {
    if (n > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    lowest = Math.min(lowest, target.rss());
  }
  return Number.isFinite(lowest) ? lowest : 0;
}

async function timed(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}
