/**
 * What a soak's samples come to: the figures of its summary table and docs/reliability.md,
 * and its chart (RSS with the fitted line, handles, event-loop delay p99, latency p99).
 */
import { median } from '../../bench/lib/stats.js';
import { renderChart, type Mark } from './chart.js';
import type { Sample } from './sampler.js';
import type { MemoryVerdict } from './verdict.js';

export interface SoakFigures {
  /** Node RSS at the first and last steady sample, and its peak, MiB. */
  readonly rssStartMiB: number;
  readonly rssEndMiB: number;
  readonly rssPeakMiB: number;
  readonly driverRssStartMiB: number;
  readonly driverRssEndMiB: number;
  readonly fdsMin: number;
  readonly fdsMax: number;
  readonly connectionsMin: number;
  readonly connectionsMax: number;
  /** Event-loop delay p99 of the 5-s windows: their median and the worst, ms. */
  readonly loopDelayP99MedianMs: number;
  readonly loopDelayP99MaxMs: number;
  readonly latencyP50MedianMs: number;
  readonly latencyP99MedianMs: number;
  readonly latencyP99MaxMs: number;
  /** Mean accepted and delivered rates over the steady load, msg/s. */
  readonly acceptedPerSecond: number;
  readonly deliveredPerSecond: number;
  readonly steadySamples: number;
}

const finite = (values: readonly number[]): number[] => values.filter(Number.isFinite);
const max = (values: readonly number[]): number => Math.max(...finite(values));
const min = (values: readonly number[]): number => Math.min(...finite(values));
const mean = (values: readonly number[]): number => finite(values).reduce((s, v) => s + v, 0) / Math.max(1, finite(values).length);

export function summariseSoak(samples: readonly Sample[]): SoakFigures {
  const steady = samples.filter((s) => s.phase === 'steady');
  const of = (pick: (s: Sample) => number): number[] => steady.map(pick);
  return {
    rssStartMiB: steady[0]?.rssMiB ?? Number.NaN,
    rssEndMiB: steady.at(-1)?.rssMiB ?? Number.NaN,
    rssPeakMiB: max(of((s) => s.rssMiB)),
    driverRssStartMiB: steady[0]?.driverRssMiB ?? Number.NaN,
    driverRssEndMiB: steady.at(-1)?.driverRssMiB ?? Number.NaN,
    fdsMin: min(of((s) => s.fds)),
    fdsMax: max(of((s) => s.fds)),
    connectionsMin: min(of((s) => s.connections)),
    connectionsMax: max(of((s) => s.connections)),
    loopDelayP99MedianMs: median(of((s) => s.loopDelayP99Ms)),
    loopDelayP99MaxMs: max(of((s) => s.loopDelayP99Ms)),
    latencyP50MedianMs: median(of((s) => s.latencyP50Ms)),
    latencyP99MedianMs: median(of((s) => s.latencyP99Ms)),
    latencyP99MaxMs: max(of((s) => s.latencyP99Ms)),
    acceptedPerSecond: mean(of((s) => s.acceptedPerSecond)),
    deliveredPerSecond: mean(of((s) => s.deliveredPerSecond)),
    steadySamples: steady.length,
  };
}

/** The soak's chart: four panels over the whole run, the RSS fit drawn over its window. */
export function soakChart(title: string, samples: readonly Sample[], memory: MemoryVerdict): string {
  const series = (pick: (s: Sample) => number): { t: number; v: number }[] => samples.map((s) => ({ t: s.t, v: pick(s) }));
  const fit = Number.isFinite(memory.slope)
    ? [{ t: memory.from, v: memory.intercept + memory.slope * memory.from }, { t: memory.to, v: memory.intercept + memory.slope * memory.to }]
    : [];
  const tMax = samples.at(-1)?.t ?? 1;
  // Each phase from its first sample; the fit window's start too.
  const marks: Mark[] = samples.filter((s, i) => i === 0 || samples[i - 1]!.phase !== s.phase).map((s) => ({ t: s.t, label: s.phase }));
  if (Number.isFinite(memory.from)) marks.push({ t: memory.from, label: 'fit window' });
  return renderChart(title, [
    {
      title: 'Resident memory', unit: 'MiB', series: [
        { label: 'node RSS', color: '#1f6fb4', points: series((s) => s.rssMiB) },
        ...(samples.some((s) => Number.isFinite(s.heapUsedMiB)) ? [{ label: 'node JS heap used', color: '#2ca02c', points: series((s) => s.heapUsedMiB) }] : []),
        { label: `fit: ${memory.slopeMiBPerMinute.toFixed(2)} MiB/min`, color: '#d62728', points: fit, dashed: true },
        { label: 'driver RSS', color: '#8c8c8c', points: series((s) => s.driverRssMiB), dashed: true },
      ],
    },
    {
      title: 'Open handles', unit: 'count', series: [
        { label: 'node fds', color: '#1f6fb4', points: series((s) => s.fds) },
        { label: 'libuv active handles', color: '#2ca02c', points: series((s) => s.handles) },
        { label: 'WebSocket connections', color: '#ff7f0e', points: series((s) => s.connections), dashed: true },
      ],
    },
    { title: 'Event-loop delay p99 per window', unit: 'ms', series: [{ label: 'node', color: '#9467bd', points: series((s) => s.loopDelayP99Ms) }] },
    {
      title: 'Publish-to-callback latency per window', unit: 'ms', series: [
        { label: 'p99', color: '#d62728', points: series((s) => s.latencyP99Ms) },
        { label: 'p50', color: '#1f6fb4', points: series((s) => s.latencyP50Ms) },
      ],
    },
  ], tMax, marks);
}
