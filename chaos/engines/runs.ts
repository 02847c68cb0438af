/**
 * engines-mysql as `npm run chaos` runs it: the full run (the store's default timeouts of 5 and
 * 10 s, faults held 30 s, 3 rounds) or the short one (`--quick`: 8 clients, timeouts of 0.5 and
 * 1 s, faults held 4 s, one round, as test/integration/chaos-engines-mysql.test.ts runs it), and its
 * summary figures. The full run holds its faults longer than the slowest answer allowed
 * (connectTimeout + 2 x queryTimeout), so that a request waiting for the database to come back
 * counts as a hang. The short one allows 20 s: on a loaded CI machine a bound of a few times
 * 0.5 s would fail on load alone, so there it only catches a request that never ends
 * (test/integration/mysql-link-hang.test.ts holds the statement timeout to its bound).
 */
import { mariadbMissing } from '../../test/helpers/mariadb-server.js';
import { FAULT_KINDS } from './faults.js';
import { runEnginesMysql, type EnginesMysqlOptions } from './scenario.js';

const LOAD = { clients: 16, paceMs: 20, churnMs: 3000, settleMs: 60_000, boundMs: 60_000 } as const;

export function enginesMysqlRun(quick: boolean): Omit<EnginesMysqlOptions, 'onFault'> {
  return quick
    ? { ...LOAD, clients: 8, rounds: 1, holdMs: 4000, gapMs: 1000, connectTimeoutMs: 500, queryTimeoutMs: 1000, slowestAllowedMs: 20_000 }
    : { ...LOAD, rounds: 3, holdMs: 30_000, gapMs: 3000, slowestAllowedMs: 25_000 };
}

export const enginesMysqlFaults = (quick: boolean): number => enginesMysqlRun(quick).rounds * FAULT_KINDS.length;

/** Runs it and sums it up for the summary table (FAIL with the reason when MariaDB is missing). */
export async function enginesMysqlOutcome(quick: boolean, onFault: EnginesMysqlOptions['onFault']): Promise<{ passed: boolean; figures: Record<string, number | string>; details: unknown }> {
  const missing = mariadbMissing();
  if (missing !== undefined) return { passed: false, figures: { other: missing }, details: { problems: [missing] } };
  const result = await runEnginesMysql({ ...enginesMysqlRun(quick), onFault });
  const { faults, problems } = result.faultVerdict;
  const recovery = faults.map((f) => f.firstAcceptMs ?? Infinity);
  return {
    passed: result.passed, details: result,
    figures: {
      faults: result.faultCount, accepted: result.accepted, lost: result.lost.length, duplicated: result.duplicated.length,
      other: result.unexpected.length + result.reordered.length + result.backwards.length + result.webhookMissing.length + result.refusals.length + (result.auditVerified ? 0 : 1) + problems.length,
      '503s': faults.reduce((n, f) => n + f.refused, 0), 'recovered in': `${Math.min(...recovery)}-${Math.max(...recovery)} ms`,
      seconds: Math.round(result.seconds),
    },
  };
}
