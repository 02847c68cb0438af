/**
 * One clock for every process of a run: microseconds of the system's monotonic clock
 * (CLOCK_MONOTONIC, what process.hrtime reads). Unlike `performance.timeOrigin +
 * performance.now()`, whose origin is each process's own reading of the wall clock, it
 * agrees across processes on the same machine to well under a microsecond, so the
 * publisher's send time and a client's receive time can be subtracted.
 */
const base = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;

/** Now, in microseconds of the monotonic clock (fractional). */
export function nowUs(): number {
  return base + performance.now() * 1000;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
