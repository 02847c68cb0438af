/** What `/v1/admin` shows: the store, this node's report, and the other nodes' reports (with Redis). */
import type { Logger as PinoLogger } from 'pino';
import type { AuditVerification, NodeReport, NodeReports } from '../domain/ports/node-reports.js';
import { clusterView } from '../domain/usecases/cluster-view.js';
import type { AdminSource } from '../transport/http/routes/admin.js';
import { verifyAuditLog } from './audit.js';
import type { Core } from './core.js';
import type { ServerIdentity } from './keys.js';
import { errorMessage } from '../domain/errors.js';

/** This node as the operator sees it, and how it learns of the others (with Redis). */
export interface NodeSelf {
  readonly report: () => NodeReport;
  /** The last audit verification this node ran: it goes out in the node's report. */
  readonly verification: { current: AuditVerification | null };
  readonly reports: NodeReports | undefined;
  readonly logger: PinoLogger;
}

/**
 * What `/v1/admin` shows (transport/http/routes/admin.ts): read from the store, this node's
 * report, and the other nodes' reports when there is Redis.
 */
export function adminSourceOf(core: Core, identity: ServerIdentity, node: NodeSelf): AdminSource {
  const { store, clock } = core;
  /** Every node's reports summed; this node's alone (and `partial`) while the others cannot be read. */
  const view = async (): Promise<{ cluster: ReturnType<typeof clusterView>; partial: boolean }> => {
    const self = node.report();
    if (node.reports === undefined) return { cluster: clusterView(self, []), partial: false };
    try {
      return { cluster: clusterView(self, await node.reports.live()), partial: false };
    } catch (err) {
      // The Redis connection itself logs the outage; this runs on every dashboard refresh.
      node.logger.debug({ err: errorMessage(err) }, 'other nodes\' reports unreadable; showing this node only');
      return { cluster: clusterView(self, []), partial: true };
    }
  };
  let verifying: Promise<AuditVerification> | null = null;
  const verify = async (): Promise<AuditVerification> => {
    const report = await verifyAuditLog(core);
    const verification: AuditVerification = {
      state: report.ok ? 'verified' : 'failed',
      at: new Date(clock.now()).toISOString(),
      headSeq: report.headSeq,
      records: report.records,
      checkpoints: report.checkpoints,
      ...(report.problem ? { problem: report.problem } : {}),
    };
    node.verification.current = verification;
    return verification;
  };
  return {
    verifyAudit: () => (verifying ??= verify().finally(() => (verifying = null))),
    throughput: async (seconds) => (await view()).cluster.throughput(seconds),
    authFailures: async (limit) => (await view()).cluster.authFailures(limit),
    findAdminToken: (id) => store.findAdminToken(id),
    overview: async () => {
      const [apps, pending, hooks, { cluster, partial }] = await Promise.all([
        store.listApps(), store.countPendingByApp(clock.now()), store.webhookAppSummaries(), view(),
      ]);
      const pendingOf = new Map(pending.map((p) => [p.appId, p.pending]));
      const hooksOf = new Map(hooks.map(({ appId, ...counts }) => [appId, counts]));
      const noHooks = { endpoints: 0, failing: 0, paused: 0, failedEvents: 0 };
      const self = cluster.nodes.find((n) => n.self)!;
      return {
        serverKeyFingerprint: identity.fingerprint,
        uptimeSeconds: self.uptimeSeconds,
        connections: cluster.connections,
        apps: apps.map((app) => ({
          appId: app.id, name: app.name, connections: cluster.appConnections.get(app.id) ?? 0, pending: pendingOf.get(app.id) ?? 0,
          webhooks: hooksOf.get(app.id) ?? noHooks,
        })),
        nodes: cluster.nodes,
        partial,
      };
    },
    audit: async () => {
      const [head, checkpoint, { cluster }] = await Promise.all([store.auditHead(), store.latestAuditCheckpoint(), view()]);
      const lastCheckpoint = checkpoint ? { seq: checkpoint.seq, at: new Date(checkpoint.at).toISOString() } : null;
      return { headSeq: head.seq, lastCheckpoint, verification: cluster.auditVerification };
    },
  };
}
