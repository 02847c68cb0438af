/**
 * The operator's view of every node at once (`/v1/admin/*` with several nodes on Redis): each
 * node's report (ports/node-reports.ts) summed. With one node it is that node's own report,
 * so the dashboard reads the same way on one node and on many.
 */
import type { AuditVerification, NodeReport, RecentAuthFailure } from '../ports/node-reports.js';
import type { ThroughputSeries } from './activity.js';

export interface ClusterNode {
  readonly nodeId: string;
  /** The node that answered this request. */
  readonly self: boolean;
  readonly connections: number;
  readonly uptimeSeconds: number;
  /** When its report was made (ISO 8601). */
  readonly reportedAt: string;
}

export interface ClusterView {
  readonly connections: number;
  /** App id -> its connections on every node. */
  readonly appConnections: ReadonlyMap<string, number>;
  readonly nodes: readonly ClusterNode[];
  throughput(seconds: number): ThroughputSeries;
  authFailures(limit: number): RecentAuthFailure[];
  /** The newest audit verification any node ran. */
  readonly auditVerification: AuditVerification | null;
}

/**
 * Sums `self` (this node's report, fresh) with the other nodes' live reports. A report of this
 * node found among `others` (its last put) is replaced by `self`. Series are aligned by their
 * second: a report a second older contributes its buckets one place to the left.
 */
export function clusterView(self: NodeReport, others: readonly NodeReport[]): ClusterView {
  const reports = [self, ...others.filter((r) => r.nodeId !== self.nodeId)];
  const appConnections = new Map<string, number>();
  for (const report of reports) {
    for (const [appId, count] of Object.entries(report.appConnections)) appConnections.set(appId, (appConnections.get(appId) ?? 0) + count);
  }
  return {
    connections: reports.reduce((sum, r) => sum + r.connections, 0),
    appConnections,
    nodes: reports
      .map((r) => ({
        nodeId: r.nodeId,
        self: r === self,
        connections: r.connections,
        uptimeSeconds: Math.max(0, Math.floor((self.at - r.startedAt) / 1000)),
        reportedAt: new Date(r.at).toISOString(),
      }))
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId)),
    throughput: (seconds) => {
      const n = Math.max(1, Math.floor(seconds));
      const end = self.endsAtSecond;
      const sum = (pick: (r: NodeReport) => readonly number[]): number[] => {
        const out = new Array<number>(n).fill(0);
        for (const report of reports) {
          const series = pick(report);
          // Bucket j of a report is the second report.endsAtSecond - (length - 1 - j).
          for (let j = 0; j < series.length; j++) {
            const i = n - 1 - (end - (report.endsAtSecond - (series.length - 1 - j)));
            if (i >= 0 && i < n) out[i] = out[i]! + series[j]!;
          }
        }
        return out;
      };
      return { intervalSeconds: 1, endsAt: new Date(end * 1000).toISOString(), published: sum((r) => r.published), delivered: sum((r) => r.delivered) };
    },
    auditVerification: reports
      .map((r) => r.auditVerification)
      .reduce<AuditVerification | null>((newest, v) => (v !== null && (newest === null || v.at > newest.at) ? v : newest), null),
    authFailures: (limit) =>
      reports
        .flatMap((r) => r.authFailures)
        .sort((a, b) => b.at.localeCompare(a.at))
        .slice(0, Math.max(0, Math.floor(limit))),
  };
}
