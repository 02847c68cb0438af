/** Small statistics helpers: medians of repetitions, percentiles of latency samples. */

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of samples already sorted ascending. */
export function percentileSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface LatencySummary {
  /** Milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly samples: number;
}

/** Summarises latency samples given in microseconds, as milliseconds. */
export function summariseLatency(samplesUs: readonly Float64Array[]): LatencySummary {
  let total = 0;
  for (const part of samplesUs) total += part.length;
  const all = new Float64Array(total);
  let offset = 0;
  for (const part of samplesUs) {
    all.set(part, offset);
    offset += part.length;
  }
  all.sort();
  return {
    p50: percentileSorted(all, 50) / 1000,
    p99: percentileSorted(all, 99) / 1000,
    max: total === 0 ? Number.NaN : all[total - 1]! / 1000,
    samples: total,
  };
}
