/**
 * What the disk-full scenario recorded, and the check of it against sealpush's promises.
 * Pure: it only reads the record. Each broken promise becomes one line of `problems`.
 */
import type { FillResult, ReadsAnswer, RecoveryResult } from './load.js';

export interface DiskFullRecord {
  readonly filled: FillResult;
  /** Taken once the disk was full, before it grew. */
  readonly whileFull: ReadsAnswer & { readonly freeBytes: number; readonly files: Readonly<Record<string, number>>; readonly alive: boolean };
  readonly recovery: RecoveryResult;
  /** Ids the SDK client handed to the application, in order. */
  readonly received: readonly string[];
  /** Ids that got a 202, while full or after. */
  readonly accepted: readonly string[];
  /** Every publish answer by code (`202` included). */
  readonly answers: Readonly<Record<string, number>>;
  readonly aliveAtEnd: boolean;
  /** `commit failed` lines in the node's log. */
  readonly commitFailures: number;
  /** The first of them, as logged. */
  readonly firstFailure: string;
  readonly auditVerified: boolean;
  readonly auditOutput: string;
  /** Accepted ids a status read did not find after the restart. */
  readonly missingAfterRestart: readonly string[];
}

export interface DiskFullVerdict extends DiskFullRecord {
  readonly lost: readonly string[];
  readonly duplicated: readonly string[];
  readonly unexpected: readonly string[];
  readonly problems: readonly string[];
  readonly passed: boolean;
}

export function checkDiskFull(record: DiskFullRecord): DiskFullVerdict {
  const accepted = new Set(record.accepted);
  const seen = new Set<string>();
  const duplicated: string[] = [];
  const unexpected: string[] = [];
  for (const id of record.received) {
    if (!accepted.has(id)) unexpected.push(id);
    else if (seen.has(id)) duplicated.push(id);
    seen.add(id);
  }
  const lost = record.accepted.filter((id) => !seen.has(id));
  const problems: string[] = [];
  const { filled, whileFull, recovery } = record;
  if (!filled.full) problems.push(`the disk never filled (${filled.accepted} accepted, ${filled.refused} refused)`);
  const wrong = Object.entries(record.answers).filter(([code]) => code !== '202' && code !== 'ERR_UNAVAILABLE');
  if (wrong.length > 0) problems.push(`publishes answered other than 202 or ERR_UNAVAILABLE: ${wrong.map(([c, n]) => `${c} x${n}`).join(', ')}`);
  if (!whileFull.alive || !record.aliveAtEnd) problems.push('the node process exited');
  if (whileFull.statusRead === 'ERR_INTERNAL' || !['queued', 'delivered', 'acked'].includes(whileFull.statusRead)) {
    problems.push(`reading a committed message while full answered ${whileFull.statusRead}`);
  }
  if (whileFull.healthz !== 200) problems.push(`/healthz answered ${whileFull.healthz} while full`);
  if (!recovery.recovered) problems.push(`${recovery.stillRefused} publishes still refused after the filesystem grew`);
  if (lost.length + duplicated.length + unexpected.length > 0) {
    problems.push(`delivery: ${lost.length} lost, ${duplicated.length} duplicated, ${unexpected.length} never accepted`);
  }
  if (!record.auditVerified) problems.push(`audit verify failed: ${record.auditOutput}`);
  if (record.missingAfterRestart.length > 0) problems.push(`${record.missingAfterRestart.length} accepted messages missing after the restart`);
  return { ...record, lost, duplicated, unexpected, problems, passed: problems.length === 0 };
}
