/** Scenario 7, cohort: waits for cohort mode (DESIGN.md section 5); selecting it says so. */
import type { Scenario } from './types.js';

export const cohort: Scenario = {
  name: 'cohort',
  summary: 'cohort mode (not implemented in sealpush yet: skipped)',
  units: () => 0,
  async run(ctx) {
    ctx.progress.note('cohort: skipped, sealpush has no cohort mode yet (issue 3 lists it as later)');
    return [];
  },
};
