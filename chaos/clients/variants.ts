/** The clients scenario's counts: the full run (`npm run chaos -- clients`) and the short form npm test runs. */
import type { ClientsOptions } from './scenario.js';

export const CLIENTS_FULL: ClientsOptions = {
  healthy: 8, slow: 8, vanishing: 8, floodBytes: 8 * 1024 * 1024,
  stormClients: 10_000, fleets: 4, stormBoundMs: 600_000, phaseMs: 900_000,
};

export const CLIENTS_QUICK: ClientsOptions = {
  healthy: 3, slow: 2, vanishing: 2, floodBytes: 8 * 1024 * 1024,
  stormClients: 300, fleets: 2, stormBoundMs: 60_000, phaseMs: 90_000,
};
