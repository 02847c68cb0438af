import { MemoryNonceCache } from '../../src/drivers/nonces/memory.js';
import { runNonceCacheConformance } from './nonce-cache.suite.js';

runNonceCacheConformance('memory', async () => {
  let now = 1_700_000_000_000;
  const cache = new MemoryNonceCache({ clock: { now: () => now } });
  return {
    cache,
    advance: async (ms) => {
      now += ms;
    },
    cleanup: () => cache.close(),
  };
});
