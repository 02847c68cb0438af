/**
 * The steps of clock-steps, as the node clock's offset from the real one (s), and the load:
 * the full run's and the short form's (npm test), shared by `npm run chaos` and the test.
 */
import type { ClockStepsOptions } from './scenario.js';

const MINUTES_3 = 180;
const HOUR = 3600;
const DAY = 86_400;

export type ClockStepsPlan = Omit<ClockStepsOptions, 'store' | 'onStep'>;

/** Forward 3 min, back; forward an hour, back; back an hour more (the node behind); forward a day, back an hour, back to real time. */
export const FULL_CLOCK_STEPS: ClockStepsPlan = {
  steps: [MINUTES_3, 0, HOUR, 0, -HOUR, DAY, DAY - HOUR, 0],
  holdMs: 20_000, backHoldMs: 20_000, clients: 16, paceMs: 20, churnMs: 3000, settleMs: 60_000,
};

/** Forward 3 min, then to an hour ahead, back an hour; forward a day, back: each step forward just past the sweeps. */
export const QUICK_CLOCK_STEPS: ClockStepsPlan = {
  steps: [MINUTES_3, HOUR, 0, DAY, 0],
  holdMs: 11_000, backHoldMs: 2000, clients: 8, paceMs: 60, churnMs: 2000, settleMs: 60_000,
};
