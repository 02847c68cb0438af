import type { AuditProblem, AuthFailure } from '../audit.js';

/** A refused REST request as the dashboard lists it (claims cut short: they come from strangers). */
export interface RecentAuthFailure {
  /** ISO 8601. */
  readonly at: string;
  readonly code: string;
  readonly scheme: AuthFailure['scheme'];
  readonly appId: string | null;
  readonly issuer: string | null;
  readonly remote: string;
}

/**
 * What one node tells the others about itself, for the operator dashboard: its connections
 * and its recent activity. A node puts its report every second; a report not renewed within
 * its ttl is gone (the node stopped or lost Redis). Counts, ids and codes only: no payload, no
 * secret, no client id.
 */
export interface NodeReport {
  readonly nodeId: string;
  /** When the node started and when it made this report (ms since the epoch). */
  readonly startedAt: number;
  readonly at: number;
  readonly connections: number;
  /** App id -> its authenticated connections on this node (apps with none left out). */
  readonly appConnections: Readonly<Record<string, number>>;
  /** Per-second counts, oldest first; the last is the second starting at `endsAtSecond` (s since the epoch). */
  readonly endsAtSecond: number;
  readonly published: readonly number[];
  readonly delivered: readonly number[];
  /** Newest first. */
  readonly authFailures: readonly RecentAuthFailure[];
  /** The last audit verification this node ran, if any. */
  readonly auditVerification: AuditVerification | null;
}

/** Where nodes leave their reports for each other (Redis with several nodes). */
export interface NodeReports {
  /** Puts this node's report; it lives `ttlMs` unless put again. */
  put(report: NodeReport, ttlMs: number): Promise<void>;
  /** Every report still alive, any order. */
  live(): Promise<NodeReport[]>;
}

/** A verification as the operator sees it (`/v1/admin/audit`): what was found, and when. */
export interface AuditVerification {
  readonly state: 'verified' | 'failed';
  /** ISO 8601. */
  readonly at: string;
  readonly headSeq: number;
  readonly records: number;
  readonly checkpoints: number;
  readonly problem?: AuditProblem;
}
