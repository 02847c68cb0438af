/**
 * `/v1/admin/*` (docs/api.md): JSON for operators, behind an admin token
 * (`Authorization: Bearer sp_admin_<id>_<secret>`, made by `sealpush admin create`). Its own
 * prefix plugin with its own hook (app.ts): the apps' HMAC and JWT schemes never apply here,
 * and an admin token is no credential on the app routes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { adminSecretMatches, parseAdminToken } from '../../../crypto/node/admin-token.js';
import { SealPushError } from '../../../domain/errors.js';
import type { StoredAdminToken } from '../../../domain/types.js';
import type { WebhookAppSummary } from '../../../domain/ports/webhooks.js';
import type { ThroughputSeries } from '../../../domain/usecases/activity.js';
import type { AuditVerification, RecentAuthFailure } from '../../../domain/ports/node-reports.js';
import type { ClusterNode } from '../../../domain/usecases/cluster-view.js';
import { adminRouteSchemas } from '../admin-schemas.js';

export interface AdminOverview {
  readonly serverKeyFingerprint: string;
  /** Of the node that answered. */
  readonly uptimeSeconds: number;
  /** Open WebSocket connections on every node (authenticated or not yet). */
  readonly connections: number;
  readonly apps: readonly {
    readonly appId: string;
    readonly name: string;
    readonly connections: number;
    readonly pending: number;
    readonly webhooks: Omit<WebhookAppSummary, 'appId'>;
  }[];
  readonly nodes: readonly ClusterNode[];
  /** The other nodes' reports could not be read (Redis unreachable): the counts are this node's only. */
  readonly partial: boolean;
}

export interface AdminAuditView {
  readonly headSeq: number;
  readonly lastCheckpoint: { readonly seq: number; readonly at: string } | null;
  /** The last verification any node ran (its own, or one reported over Redis), null before the first. */
  readonly verification: AuditVerification | null;
}

export interface AdminSource {
  findAdminToken(id: string): Promise<StoredAdminToken | undefined>;
  overview(): Promise<AdminOverview>;
  audit(): Promise<AdminAuditView>;
  /** Walks the whole chain now (one walk at a time: a second call joins the running one). */
  verifyAudit(): Promise<AuditVerification>;
  /** Summed over every node. */
  throughput(seconds: number): Promise<ThroughputSeries>;
  /** Of every node, newest first. */
  authFailures(limit: number): Promise<readonly RecentAuthFailure[]>;
}

const DEFAULT_THROUGHPUT_SECONDS = 300;

/** Compared against for an unknown id, so that it costs what a wrong secret does. */
const DECOY_HASH = new Uint8Array(32);

/** onRequest hook of `/v1/admin`: no admin token is ERR_AUTH_MISSING, a wrong one (or any other scheme) ERR_AUTH_SIGNATURE. */
export function adminAuthHook(source: Pick<AdminSource, 'findAdminToken'>) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === '') throw new SealPushError('ERR_AUTH_MISSING', 'The admin routes need Authorization: Bearer sp_admin_...');
    const parsed = header.startsWith('Bearer ') ? parseAdminToken(header.slice(7).trim()) : undefined;
    if (parsed === undefined) throw new SealPushError('ERR_AUTH_SIGNATURE', 'The admin routes accept an admin token only');
    const stored = await source.findAdminToken(parsed.id);
    const ok = adminSecretMatches(parsed.secret, stored?.tokenHash ?? DECOY_HASH);
    if (stored === undefined || !ok) throw new SealPushError('ERR_AUTH_SIGNATURE');
  };
}

export function registerAdminRoutes(app: FastifyInstance, source: AdminSource): void {
  app.get('/overview', { schema: adminRouteSchemas.adminOverview }, async (_request, reply) => reply.code(200).send(await source.overview()));
  app.get('/audit', { schema: adminRouteSchemas.adminAudit }, async (_request, reply) => reply.code(200).send(await source.audit()));
  app.post('/audit/verify', { schema: adminRouteSchemas.adminAuditVerify }, async (_request, reply) => reply.code(200).send(await source.verifyAudit()));
  app.get<{ Querystring: { seconds?: string } }>('/throughput', { schema: adminRouteSchemas.adminThroughput }, async (request, reply) => {
    const seconds = request.query.seconds === undefined ? DEFAULT_THROUGHPUT_SECONDS : Number(request.query.seconds);
    return reply.code(200).send(await source.throughput(seconds));
  });
  app.get('/auth-failures', { schema: adminRouteSchemas.adminAuthFailures }, async (_request, reply) =>
    reply.code(200).send({ failures: await source.authFailures(50) }));
}
