/** A random duration around `mean`: uniform in [0.5, 1.5] times it, so that lanes and clients drift apart. */
export const jittered = (mean: number): number => mean * (0.5 + Math.random());
