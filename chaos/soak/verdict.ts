/**
 * The soak's memory verdict, pure (its unit test feeds it synthetic series): a least-squares
 * line through the node's RSS over the fit window (the last 45 minutes of the steady load, or
 * its last 75% when it ran for less than an hour), and the rule "no growth beyond noise":
 *
 *   growth = slope x window length  <  max(FLOOR_MIB, NOISE_FACTOR x residual standard deviation)
 *
 * The floor keeps a quiet series from failing on a few MiB of heap settling; the noise term
 * lets the GC's sawtooth and the allocator's steps swing as far as they do without a trend.
 * A real leak of 1 MiB a minute grows 45 MiB over the window and fails while the residuals'
 * spread stays under 15 MiB (a flat series swinging +-25 MiB has about that).
 */

/** Growth over the window that always passes, MiB. */
export const FLOOR_MIB = 8;
/** How many residual standard deviations of growth still count as noise. */
export const NOISE_FACTOR = 3;
/** The fit window of an hour's run, s; a shorter run fits over its last FIT_SHARE. */
export const FIT_WINDOW_SECONDS = 45 * 60;
export const FIT_SHARE = 0.75;

export interface Point {
  /** Seconds. */
  readonly t: number;
  /** MiB. */
  readonly v: number;
}

export interface LineFit {
  /** MiB per second. */
  readonly slope: number;
  readonly intercept: number;
  /** Standard deviation of the residuals, MiB. */
  readonly residualSd: number;
}

export interface MemoryVerdict extends LineFit {
  /** The window fitted, s since the start. */
  readonly from: number;
  readonly to: number;
  readonly points: number;
  /** slope x window, MiB. */
  readonly growthMiB: number;
  readonly slopeMiBPerMinute: number;
  /** The most growth that counts as noise, MiB. */
  readonly allowedMiB: number;
  readonly passed: boolean;
}

export function fitLine(points: readonly Point[]): LineFit {
  const n = points.length;
  if (n < 2) return { slope: Number.NaN, intercept: Number.NaN, residualSd: Number.NaN };
  const meanT = points.reduce((s, p) => s + p.t, 0) / n;
  const meanV = points.reduce((s, p) => s + p.v, 0) / n;
  let cov = 0;
  let varT = 0;
  for (const p of points) {
    cov += (p.t - meanT) * (p.v - meanV);
    varT += (p.t - meanT) ** 2;
  }
  const slope = varT === 0 ? Number.NaN : cov / varT;
  const intercept = meanV - slope * meanT;
  const squares = points.reduce((s, p) => s + (p.v - (intercept + slope * p.t)) ** 2, 0);
  return { slope, intercept, residualSd: Math.sqrt(squares / Math.max(1, n - 2)) };
}

/** The fit window of a steady run from `start` to `end` (s): its last 45 min, or its last 75% if shorter than an hour. */
export function fitWindow(start: number, end: number): { from: number; to: number } {
  const length = end - start;
  const span = length >= FIT_WINDOW_SECONDS / FIT_SHARE ? FIT_WINDOW_SECONDS : length * FIT_SHARE;
  return { from: end - span, to: end };
}

/** Judges the RSS series of the steady load (points in time order). Fails with fewer than 3 points in the window. */
export function judgeMemory(series: readonly Point[]): MemoryVerdict {
  const start = series[0]?.t ?? 0;
  const end = series.at(-1)?.t ?? 0;
  const { from, to } = fitWindow(start, end);
  const window = series.filter((p) => p.t >= from && Number.isFinite(p.v));
  const fit = fitLine(window);
  const growthMiB = fit.slope * (to - from);
  const allowedMiB = Math.max(FLOOR_MIB, NOISE_FACTOR * fit.residualSd);
  return {
    ...fit, from, to, points: window.length, growthMiB, slopeMiBPerMinute: fit.slope * 60, allowedMiB,
    passed: window.length >= 3 && Number.isFinite(growthMiB) && growthMiB < allowedMiB,
  };
}
