/**
 * A node's readiness (`/readyz`, and every publish): not draining, and both the store and the
 * coordination (Redis, when configured) answer. Each probe runs at most once a second.
 */
import type { Clock } from '../domain/ports/runtime.js';
import { cachedProbe } from '../transport/http/readiness.js';

const PROBE_EVERY_MS = 1000;

export interface NodeReadiness {
  ready(): Promise<boolean>;
  /** From now on the node answers not ready: it is shutting down. */
  drain(): void;
}

export function nodeReadiness(probes: { store: () => Promise<void>; coordination: () => Promise<void> }, clock: Clock): NodeReadiness {
  let draining = false;
  const storeHealth = cachedProbe(probes.store, PROBE_EVERY_MS, clock);
  const coordinationHealth = cachedProbe(probes.coordination, PROBE_EVERY_MS, clock);
  return {
    ready: async () => !draining && (await storeHealth()) && (await coordinationHealth()),
    drain: () => {
      draining = true;
    },
  };
}
