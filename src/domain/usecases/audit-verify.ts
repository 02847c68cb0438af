import { GENESIS_HASH, type AuditCheckpoint, type AuditProblem, type AuditProblemCode, type AuditRecord } from '../audit.js';
import type { AuditLog } from '../ports/audit-log.js';

export interface AuditReport {
  readonly ok: boolean;
  /** Records checked (the chain is read up to the head as it was when verification began). */
  readonly records: number;
  /** Checkpoints whose signature was checked, from the database and the export. */
  readonly checkpoints: number;
  readonly headSeq: number;
  readonly problem?: AuditProblem;
}

export interface VerifyDeps {
  readonly store: Pick<AuditLog, 'auditHead' | 'auditRecords' | 'auditCheckpoints'>;
  /** SHA-256 of a record's canonical bytes. */
  readonly hash: (record: Omit<AuditRecord, 'hash'>) => Uint8Array;
  /** Whether a checkpoint's signature verifies under the audit key. */
  readonly verifyCheckpoint: (checkpoint: AuditCheckpoint) => boolean;
  /** Checkpoints kept elsewhere (`audit export`): they also bound truncation. */
  readonly exported?: readonly AuditCheckpoint[];
  /**
   * The coverage rule: a record after the last validly signed checkpoint whose `at` is more
   * than `windowMs` before `now` fails ('records-uncovered'): a node signs the head within
   * its checkpoint interval, so only records younger than that may be unsigned.
   */
  readonly coverage: { readonly now: number; readonly windowMs: number };
  /** Records read per query; the chain is never loaded whole. Default 5000. */
  readonly pageSize?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

const hex = (bytes: Uint8Array): string => [...bytes.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Checks every checkpoint signature, then walks the chain from seq 1 to the head, a page at a
 * time, and names the first bad record:
 * - a seq missing from the sequence: that record was deleted;
 * - a record whose hash is not the hash of its contents: it was edited, or moved (its seq is
 *   hashed), or it is not where it was written (a deletion or swap that renumbered records);
 * - a record whose prevHash is not its predecessor's hash, though its own hash is sound: the
 *   predecessor was replaced (and rehashed); if its prevHash is the hash of the record two
 *   back, the predecessor was inserted;
 * - a checkpoint's head hash that the chain does not reach: records since the last matching
 *   checkpoint were rewritten and the chain recomputed (the blame cannot be narrower);
 * - a chain that ends before the head, or before a checkpoint: it was truncated;
 * - a record after the last validly signed checkpoint that is older than `coverage.windowMs`:
 *   a node would have signed it, so checkpoints were deleted (or no node ran since).
 * `verifyCheckpoint` must check against keys anchored outside the database (audit-anchor.ts).
 * The tail younger than the window is not authenticated: a truncation there is found only if
 * it falls before a checkpoint that was kept (exported) elsewhere.
 */
export async function verifyAuditChain(deps: VerifyDeps): Promise<AuditReport> {
  const pageSize = deps.pageSize ?? 5000;
  const head = await deps.store.auditHead();
  const problems: AuditProblem[] = [];
  const expected = new Map<number, Uint8Array>();
  let checkpoints = 0;
  let lastCheckpoint = 0;

  const admit = (checkpoint: AuditCheckpoint, source: string): void => {
    checkpoints++;
    if (!deps.verifyCheckpoint(checkpoint)) {
      problems.push({ seq: checkpoint.seq, code: 'checkpoint-bad-signature', reason: `the ${source} checkpoint at record ${checkpoint.seq} has a bad signature (edited or forged)` });
      return;
    }
    const known = expected.get(checkpoint.seq);
    if (known !== undefined && !equal(known, checkpoint.headHash)) {
      problems.push({ seq: checkpoint.seq, code: 'checkpoints-disagree', reason: `two validly signed checkpoints disagree on record ${checkpoint.seq}` });
      return;
    }
    expected.set(checkpoint.seq, checkpoint.headHash);
    lastCheckpoint = Math.max(lastCheckpoint, checkpoint.seq);
  };
  for (let after = 0; ; ) {
    const page = await deps.store.auditCheckpoints(after, pageSize);
    for (const checkpoint of page) admit(checkpoint, 'stored');
    if (page.length < pageSize) break;
    after = page[page.length - 1]!.seq;
  }
  for (const checkpoint of deps.exported ?? []) admit(checkpoint, 'exported');

  const overdueBefore = deps.coverage.now - deps.coverage.windowMs;
  const chain = await walkChain(deps, head.seq, expected, pageSize, { coveredUpto: lastCheckpoint, overdueBefore });
  if (chain.problem) problems.push(chain.problem);
  else if (chain.last < head.seq) {
    problems.push({ seq: chain.last + 1, code: 'truncated', reason: `records ${chain.last + 1} to ${head.seq} are missing: the chain ends at ${chain.last}, its head is at ${head.seq}` });
  } else if (chain.last < lastCheckpoint) {
    problems.push({ seq: chain.last + 1, code: 'truncated', reason: `truncated: the chain ends at ${chain.last}, but a signed checkpoint covers record ${lastCheckpoint}` });
  } else if (head.seq > 0 && !equal(chain.lastHash, head.hash)) {
    problems.push({ seq: head.seq, code: 'head-mismatch', reason: `the chain head (${hex(head.hash)}...) is not the hash of record ${head.seq}` });
  }
  const first = problems.reduce<AuditProblem | undefined>((min, p) => (min === undefined || p.seq < min.seq ? p : min), undefined);
  return { ok: first === undefined, records: chain.records, checkpoints, headSeq: head.seq, ...(first ? { problem: first } : {}) };
}

interface ChainWalk {
  readonly records: number;
  readonly last: number;
  readonly lastHash: Uint8Array;
  readonly problem?: AuditProblem;
}

/** Records after `coveredUpto` (the last validly signed checkpoint) must be written at or after `overdueBefore`. */
interface Coverage {
  readonly coveredUpto: number;
  readonly overdueBefore: number;
}

async function walkChain(
  deps: VerifyDeps,
  headSeq: number,
  expected: ReadonlyMap<number, Uint8Array>,
  pageSize: number,
  coverage: Coverage,
): Promise<ChainWalk> {
  let last = 0;
  let prev: Uint8Array = GENESIS_HASH;
  let prevPrev: Uint8Array | undefined;
  /** The last seq a valid checkpoint confirmed: nothing at or before it is blamed. */
  let confirmed = 0;
  /** A checkpoint the chain missed, reported unless the next record points closer. */
  let missed: AuditProblem | undefined;
  let missedAt = 0;
  let records = 0;
  const done = (problem?: AuditProblem): ChainWalk => ({ records, last, lastHash: prev, ...(problem ? { problem } : {}) });

  for (let more = true; more && last < headSeq; ) {
    const page = await deps.store.auditRecords(last, Math.min(pageSize, headSeq - last));
    more = page.length > 0;
    for (const row of page) {
      // Past the head as read at the start: appended since, or beyond a gap (reported below).
      if (row.seq > headSeq) {
        more = false;
        break;
      }
      records++;
      if (row.seq !== last + 1) return done(missed ?? { seq: last + 1, code: 'record-missing', reason: `record ${last + 1} is missing (deleted)` });
      const hash = deps.hash(row);
      const sound = equal(hash, row.hash);
      const linked = equal(row.prevHash, prev);
      if (!sound || !linked) {
        const inserted = !sound && !linked && prevPrev !== undefined && equal(row.prevHash, prevPrev);
        const blamePrevious = (!linked && sound) || inserted;
        const seq = blamePrevious && row.seq - 1 > confirmed ? row.seq - 1 : row.seq;
        const [code, reason]: [AuditProblemCode, string] = seq < row.seq
          ? inserted
            ? ['record-inserted', `record ${seq} was inserted: record ${row.seq} follows record ${seq - 1}`]
            : ['record-replaced', `record ${seq} was replaced: record ${row.seq} holds another hash for it`]
          : !sound
            ? ['record-altered', `record ${seq} was altered or moved: its hash does not match its contents`]
            : ['record-unlinked', `record ${seq} does not follow record ${seq - 1}: its prev hash differs`];
        // Inside the range a missed checkpoint blames, this record points closer.
        return done(missed !== undefined && seq > missedAt ? missed : { seq, code, reason });
      }
      if (missed) return done(missed);
      if (row.seq > coverage.coveredUpto && row.at < coverage.overdueBefore) return done(uncovered(row, coverage));
      const signedHead = expected.get(row.seq);
      if (signedHead !== undefined) {
        if (equal(signedHead, hash)) confirmed = row.seq;
        else {
          missedAt = row.seq;
          missed = { seq: confirmed + 1, code: 'records-rewritten', reason: `records ${confirmed + 1} to ${row.seq} were rewritten: the chain does not reach the head that checkpoint ${row.seq} signed` };
        }
      }
      prevPrev = prev;
      prev = hash;
      last = row.seq;
      deps.onProgress?.(last, headSeq);
    }
  }
  if (missed) return done(missed);
  return done();
}

/** The first record after the last signed checkpoint that a node would have signed by now. */
function uncovered(record: AuditRecord, coverage: Coverage): AuditProblem {
  const after = coverage.coveredUpto === 0 ? 'no signed checkpoint exists' : `the last signed checkpoint is at record ${coverage.coveredUpto}`;
  return {
    seq: record.seq,
    code: 'records-uncovered',
    reason:
      `record ${record.seq} is covered by no signed checkpoint (${after}), yet it was written at ${new Date(record.at).toISOString()}, ` +
      'longer ago than a node takes to sign one: checkpoints were deleted, or no node ran since it was written',
  };
}
