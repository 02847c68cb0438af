/** How a node answers whether it is ready (`/readyz`, and every publish): its probes, cached. */
import type { Clock } from '../../domain/ports/runtime.js';

/** Longest a readiness probe may take: a store or Redis that does not answer in time is not ready. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * Readiness is asked on every publish: probe the store at most once per `maxAgeMs` and share
 * the answer, so a busy node does not pay a round trip per request. A probe that has not
 * answered within PROBE_TIMEOUT_MS counts as a failure (a hung server must not hang requests).
 */
export function cachedProbe(probe: () => Promise<void>, maxAgeMs: number, clock: Clock): () => Promise<boolean> {
  let checkedAt = -Infinity;
  let healthy: Promise<boolean> = Promise.resolve(false);
  return () => {
    const now = clock.now();
    if (now - checkedAt >= maxAgeMs) {
      checkedAt = now;
      healthy = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
        timer.unref();
        probe().then(
          () => resolve(true),
          () => resolve(false),
        ).finally(() => clearTimeout(timer));
      });
    }
    return healthy;
  };
}
