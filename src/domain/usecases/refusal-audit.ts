import { authFailureEvent, type AuditEvent, type AuthFailure } from '../audit.js';
import type { Clock } from '../ports/runtime.js';

/** The refusals of one interval from one address (or from the folded ones) with one code. */
interface Tally {
  /** The first refusal: its claimed app, issuer and scheme are the ones the record names. */
  readonly first: AuthFailure;
  readonly claim: string;
  readonly from: number;
  to: number;
  count: number;
  otherClaims: number;
}

/**
 * Refused REST requests reach the audit log as counts, not one record each (docs/audit.md): per
 * interval (config `audit.refusalIntervalSeconds`), one record per (address, code) that had
 * refusals, for the first `maxSources` such pairs of the interval; every refusal of any later
 * pair counts in one record per code whose `remote` is null. So whatever a flood sends, one
 * interval writes at most `maxSources` + (one per code) records, and memory holds as many tallies.
 * Nothing is counted twice and nothing is dropped: every refusal is in exactly one count.
 *
 * The node calls `flush` on a timer and when it drains; `record` it for every refusal.
 */
export class RefusalAudit {
  private tallies = new Map<string, Tally>();
  private folded = new Map<string, Tally>();

  constructor(
    private readonly clock: Clock,
    /** Distinct (address, code) pairs recorded on their own per interval. */
    private readonly maxSources: number,
    /** Where the interval's records go (the commit queue, which writes them with its next commit). */
    private readonly append: (event: AuditEvent) => void,
  ) {
    if (!Number.isInteger(maxSources) || maxSources < 0) throw new RangeError('maxSources must be a non-negative integer');
  }

  record(failure: AuthFailure): void {
    const now = this.clock.now();
    const key = `${failure.code}\n${failure.remote}`;
    const claim = claimOf(failure);
    let tally = this.tallies.get(key);
    if (tally === undefined && this.tallies.size >= this.maxSources) {
      tally = this.folded.get(failure.code);
      if (tally === undefined) this.folded.set(failure.code, (tally = newTally(failure, claim, now)));
    }
    if (tally === undefined) this.tallies.set(key, (tally = newTally(failure, claim, now)));
    tally.count += 1;
    tally.to = now;
    if (claim !== tally.claim) tally.otherClaims += 1;
  }

  /** Appends one record per tally of the interval now ending (address order of arrival, then the folded ones) and starts the next. */
  flush(): void {
    const { tallies, folded } = this;
    this.tallies = new Map();
    this.folded = new Map();
    for (const tally of tallies.values()) this.append(eventOf(tally, tally.first.remote));
    for (const tally of folded.values()) this.append(eventOf(tally, null));
  }
}

function newTally(first: AuthFailure, claim: string, now: number): Tally {
  return { first, claim, from: now, to: now, count: 0, otherClaims: 0 };
}

function claimOf(failure: AuthFailure): string {
  return `${failure.scheme}\n${failure.appId ?? ''}\n${failure.issuer ?? ''}`;
}

function eventOf(tally: Tally, remote: string | null): AuditEvent {
  return authFailureEvent({ ...tally.first, remote }, { count: tally.count, otherClaims: tally.otherClaims, from: tally.from, to: tally.to });
}
