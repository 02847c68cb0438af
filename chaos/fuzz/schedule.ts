/**
 * Which case runs when, and what it is: cases run from a pool, a number in flight at once,
 * and each case is drawn from its own seed, so that any one replays alone from (seed, index).
 */
import fc from 'fast-check';

/** Runs `count` cases, `concurrency` in flight at once, in index order of start. */
export async function runPool(count: number, concurrency: number, run: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await run(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}

/** The indices a run covers: all of 0..cases-1, or the one case `only` names (a replay). */
export function caseIndices(cases: number, only: number | undefined): (slot: number) => number {
  return only === undefined ? (slot) => slot : () => only;
}

/**
 * The one value `arb` gives for case `index` of a run with `seed`: each case draws from its
 * own seed, so any case is replayed alone from (seed, index).
 */
export function caseValue<T>(arb: fc.Arbitrary<T>, seed: number, index: number): T {
  return fc.sample(arb, { seed: caseSeed(seed, index), numRuns: 1 })[0]!;
}

function caseSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) | 0;
}
