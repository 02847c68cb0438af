/**
 * The composition root: the only module that imports drivers. It turns a validated Config
 * into a wired node (or, for admin commands, just the parts they need).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, maskedStoreUrl, rateLimitSpecs, type Config } from './config.js';
import type { Kms, MasterKeyRing } from './domain/ports/kms.js';
import type { MessageStore } from './domain/ports/message-store.js';
import type { Bus } from './domain/ports/bus.js';
import type { NonceCache } from './domain/ports/nonce-cache.js';
import type { RateLimit, RateLimitSpec } from './domain/ports/rate-limit.js';
import type { Clock, Defer } from './domain/ports/runtime.js';
import { Apps } from './domain/usecases/apps.js';
import { ClientCiphers } from './domain/usecases/client-ciphers.js';
import { CommitQueue } from './domain/usecases/commit-queue.js';
import { Forgetting } from './domain/usecases/forget.js';
import { Publisher } from './domain/usecases/publisher.js';
import { FailedAuthLimit } from './domain/usecases/failed-auth-limit.js';
import { RefusalAudit } from './domain/usecases/refusal-audit.js';
import { Router } from './domain/usecases/router.js';
import { loadOrCreateServerKey, type KeyMaterial } from './domain/usecases/server-keys.js';
import { Sessions } from './domain/usecases/sessions.js';
import { nodeSignatureVerifier } from './crypto/node/ed25519.js';
import { IDENTITY_PURPOSE, ServerIdentities, rotateServerIdentity, type RotatedIdentity } from './domain/usecases/server-identity.js';
import { sweepExpired } from './domain/usecases/expiry.js';
import { ClientRetention } from './domain/usecases/retention.js';
import { NodeActivity, withActivity } from './domain/usecases/activity.js';
import { clusterView } from './domain/usecases/cluster-view.js';
import type { NodeReport, NodeReports } from './domain/ports/node-reports.js';
import type { AuditVerification } from './domain/usecases/audit-verify.js';
import { CHECKPOINT_POLL_MS, auditCheckpointerOf, verifyAuditLog } from './compose-audit.js';
import { base64urlEncode } from './crypto/encoding.js';
import { fingerprint, generateStaticKeyPair, staticKeyPairFromPrivate } from './crypto/node/keys.js';
import { nodeNoiseCrypto } from './crypto/node/noise-crypto.js';
import { createBusEnvelopeCipher, createPayloadKeyring } from './crypto/node/at-rest.js';
import { openSqliteStore } from './drivers/store/sqlite.js';
import { ThreadedSqliteStore } from './drivers/store/sqlite-thread.js';
import { sqliteSchemaVersion } from './drivers/store/sqlite-schema.js';
import { openMysqlStore } from './drivers/store/mysql.js';
import { migrateMysql } from './drivers/store/mysql-migrate.js';
import { openLocalKms } from './drivers/kms/local.js';
import { MemoryNonceCache } from './drivers/nonces/memory.js';
import { MemoryRateLimit } from './drivers/limits/memory.js';
import { LocalBus } from './drivers/bus/local.js';
import { PrometheusMetrics } from './drivers/metrics/prometheus.js';
import { RedisNonceCache } from './drivers/redis/nonces.js';
import { RedisBus } from './drivers/redis/bus.js';
import { RedisNodeReports } from './drivers/redis/node-reports.js';
import { RedisRateLimit } from './drivers/redis/rate-limit.js';
import { closeRedisConnection, duplicateRedisConnection, openRedisConnection, redactRedisUrl } from './drivers/redis/connection.js';
import { buildHttpApp } from './transport/http/app.js';
import { cachedProbe } from './transport/http/readiness.js';
import type { AdminSource } from './transport/http/routes/admin.js';
import { packageFiles } from './transport/http/routes/pages.js';
import { Gateway } from './transport/ws/gateway.js';

export const systemClock: Clock = { now: () => Date.now() };
const deferToIo: Defer = (fn) => setImmediate(fn);

/** The store and KMS, for admin commands and as the base of a node. */
export interface Core {
  readonly config: Config;
  readonly store: MessageStore;
  readonly kms: Kms;
  /** The master-key versions behind `kms`, for `keys rotate`. */
  readonly masterKeys: MasterKeyRing;
  readonly apps: Apps;
  readonly clock: Clock;
  close(): Promise<void>;
}

/**
 * `threaded`: the store runs on its own thread (a serving node, so that commits never stall
 * the event loop); admin commands use it in-process.
 */
export async function openCore(config: Config, logger: PinoLogger, threaded = false): Promise<Core> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const kms = await openLocalKms({ keyFile: config.masterKeyFile, masterKey: config.masterKey });
  const store = await openStore(config, logger, threaded);
  const apps = new Apps(store, kms, systemClock);
  return { config, store, kms, masterKeys: kms, apps, clock: systemClock, close: () => store.close() };
}

export function sqlitePath(config: Config): string {
  return join(config.dataDir, 'sealpush.db');
}

/** The store `config.store` names. MySQL: refused (MysqlSchemaError) unless its schema is this build's. */
async function openStore(config: Config, logger: PinoLogger, threaded: boolean): Promise<MessageStore> {
  const maxPendingPerClient = config.limits.maxPendingPerClient;
  if (config.store !== 'sqlite') {
    logger.info({ store: maskedStoreUrl(config.store) }, 'opening mysql store');
    return openMysqlStore({ url: config.store, maxPendingPerClient, logger });
  }
  const options = { path: sqlitePath(config), durability: config.durability, maxPendingPerClient, logger };
  return threaded ? ThreadedSqliteStore.open(options) : openSqliteStore(options);
}

export interface StoreMigration {
  readonly driver: 'sqlite' | 'mysql';
  /** Where the store is, password masked. */
  readonly location: string;
  readonly from: number;
  readonly to: number;
  readonly applied: readonly { readonly version: number; readonly name: string }[];
}

/**
 * `sealpush migrate`: brings the store's schema up to this build's. SQLite applies its
 * migrations itself whenever it opens, so this just opens it once.
 */
export async function migrateStore(config: Config, onApply: (migration: { version: number; name: string }) => void): Promise<StoreMigration> {
  if (config.store !== 'sqlite') {
    const report = await migrateMysql(config.store, Date.now(), onApply);
    return { driver: 'mysql', location: maskedStoreUrl(config.store), ...report };
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const path = sqlitePath(config);
  const before = sqliteSchemaVersion(path);
  const store = openSqliteStore({ path, durability: config.durability });
  await store.close();
  const after = sqliteSchemaVersion(path);
  return { driver: 'sqlite', location: path, from: before.version, to: after.version, applied: after.names.filter((m) => m.version > before.version) };
}

export interface ServerIdentity {
  readonly publicKey: string;
  readonly fingerprint: string;
}

function generateIdentity(): KeyMaterial {
  const pair = generateStaticKeyPair();
  return { publicKey: pair.publicKey, secret: pair.privateKey };
}

function identityOf(publicKey: Uint8Array): ServerIdentity {
  return { publicKey: base64urlEncode(publicKey), fingerprint: fingerprint(publicKey) };
}

/** The server's Noise static key (its current version), created on first use and stored wrapped by the KMS. */
export async function loadServerIdentity(core: Core): Promise<KeyMaterial & { identity: ServerIdentity }> {
  const key = await loadOrCreateServerKey(IDENTITY_PURPOSE, { store: core.store, kms: core.kms, clock: core.clock, generate: generateIdentity });
  return { ...key, identity: identityOf(key.publicKey) };
}

/** Every stored identity version, newest first: `notAfter` on the ones a rotation replaced. */
export async function listServerIdentities(core: Core): Promise<(ServerIdentity & { version: number; notAfter?: number })[]> {
  (await loadServerIdentity(core)).secret.fill(0);
  const now = core.clock.now();
  return (await core.store.listServerKeys(IDENTITY_PURPOSE))
    .filter((key) => key.notAfter === undefined || key.notAfter > now)
    .map((key) => ({ version: key.version, ...identityOf(key.publicKey), ...(key.notAfter === undefined ? {} : { notAfter: key.notAfter }) }));
}

/** `sealpush keys rotate-identity`: a new identity; the old one is accepted for `overlapMs` more. */
export async function rotateIdentity(core: Core, overlapMs: number): Promise<RotatedIdentity & { identity: ServerIdentity }> {
  const rotated = await rotateServerIdentity({ store: core.store, kms: core.kms, clock: core.clock, generate: generateIdentity }, overlapMs);
  return { ...rotated, identity: identityOf(rotated.publicKey) };
}

export interface Node {
  readonly http: FastifyInstance;
  readonly gateway: Gateway;
  readonly identity: ServerIdentity;
  /** Stops taking work, closes client connections, commits what is queued, closes the store. */
  drain(): Promise<void>;
  sweep(): Promise<{ expired: number; purged: number; pruned: number }>;
}

/** This node as the operator sees it, and how it learns of the others (with Redis). */
interface NodeSelf {
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
function adminSourceOf(core: Core, identity: ServerIdentity, node: NodeSelf): AdminSource {
  const { store, clock } = core;
  /** Every node's reports summed; this node's alone (and `partial`) while the others cannot be read. */
  const view = async (): Promise<{ cluster: ReturnType<typeof clusterView>; partial: boolean }> => {
    const self = node.report();
    if (node.reports === undefined) return { cluster: clusterView(self, []), partial: false };
    try {
      return { cluster: clusterView(self, await node.reports.live()), partial: false };
    } catch (err) {
      // The Redis connection itself logs the outage; this runs on every dashboard refresh.
      node.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'other nodes\' reports unreadable; showing this node only');
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
      const [apps, pending, { cluster, partial }] = await Promise.all([store.listApps(), store.countPendingByApp(clock.now()), view()]);
      const pendingOf = new Map(pending.map((p) => [p.appId, p.pending]));
      const self = cluster.nodes.find((n) => n.self)!;
      return {
        serverKeyFingerprint: identity.fingerprint,
        uptimeSeconds: self.uptimeSeconds,
        connections: cluster.connections,
        apps: apps.map((app) => ({ appId: app.id, name: app.name, connections: cluster.appConnections.get(app.id) ?? 0, pending: pendingOf.get(app.id) ?? 0 })),
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

/** `tls`: the certificate and key (PEM) to serve https and wss with; plain HTTP without. */
export async function composeNode(config: Config, logger: PinoLogger, tls?: { cert: Buffer; key: Buffer }): Promise<Node> {
  const core = await openCore(config, logger, true);
  const { store, kms, apps, clock } = core;
  const startedAt = clock.now();
  await applyConfiguredDelivery(core);
  const limits = config.limits;
  const server = await loadServerIdentity(core);
  server.secret.fill(0); // the gateway loads its keys through ServerIdentities
  const payloadKey = await loadOrCreateServerKey('payload', {
    store,
    kms,
    clock,
    generate: () => ({ publicKey: new Uint8Array(0), secret: new Uint8Array(randomBytes(32)) }),
  });
  const checkpointer = await auditCheckpointerOf(core);
  await checkpointer.tick(); // before serving: what a stopped node left unsigned is signed (docs/audit.md, "Coverage")
  // Each client's messages are sealed under its own key, derived from this one (docs/forget.md).
  const ciphers = new ClientCiphers(store, createPayloadKeyring(payloadKey.secret));
  const forgetting = new Forgetting(store, clock, ciphers);
  await forgetting.start();
  const nodeId = `node-${randomBytes(6).toString('hex')}`;
  const { bus, nonces, reports, rateLimit, ...coordination } = await openCoordination(config, nodeId, payloadKey.secret, logger).catch(async (err: unknown) => {
    await core.close();
    throw err;
  });

  let router: Router | null = null;
  let gateway: Gateway | null = null;
  const prometheus = new PrometheusMetrics({ connections: () => gateway?.connectionCount ?? 0, queueDepth: (): number => commits.queueDepth });
  const activity = new NodeActivity(clock);
  const metrics = withActivity(prometheus, activity);
  const commits = new CommitQueue(store, clock, deferToIo, logger, (clientId, messages) => router?.route(clientId, messages), {
    maxBatchMessages: limits.maxBatchMessages,
    delayMarks: (fn) => setTimeout(fn, config.markFlushMs).unref(),
    metrics,
  });
  const rates = rateLimitSpecs(limits);
  const sessions = new Sessions(store, commits, clock, rateLimit('registration', rates.registration));
  gateway = new Gateway({
    sessions,
    appExists: (appId) => apps.exists(appId),
    deliveryOf: (appId) => apps.deliveryOf(appId),
    receiptsOf: (appId) => apps.receiptsOf(appId),
    handshakeLimiter: rateLimit('handshake', rates.handshake),
    delivery: { store, commits, clock, defer: deferToIo, logger, limits, metrics },
    metrics,
    ciphers,
    forgetting,
    noise: nodeNoiseCrypto,
    identities: new ServerIdentities({ store, kms, clock }, staticKeyPairFromPrivate),
    limits,
    logger,
    bus,
    nodeId,
    trustProxy: config.trustProxy,
    // LocalBus hands every offer over in process: nothing to catch up, so no cost.
    ...(config.redis === undefined ? {} : { catchUpIntervalMs: config.catchUpIntervalMs }),
  });
  forgetting.onForgotten((clientId) => gateway.dropForgotten(clientId));
  await coordination.subscribed();
  router = new Router(gateway, bus, nodeId, logger);
  const publisher = new Publisher({
    store,
    commits,
    ciphers,
    forgetting,
    presence: router,
    clock,
    limits,
    rateLimiter: rateLimit('publish', rates.publish),
    readLimit: rateLimit('read', rates.read),
    signatures: { signingKeyOf: (appId) => apps.signingKeyOf(appId), verifier: nodeSignatureVerifier },
    receiptsOf: (appId) => apps.receiptsOf(appId),
  });

  const lastVerification: NodeSelf['verification'] = { current: null };
  const selfReport = (): NodeReport => ({
    nodeId,
    auditVerification: lastVerification.current,
    startedAt,
    at: clock.now(),
    connections: gateway.connectionCount,
    appConnections: gateway.appConnectionCounts(),
    ...activity.reportPart(),
  });
  // With Redis, every node tells the others what it holds, for the operator's view of them all.
  const putReport = (): void => {
    reports?.put(selfReport(), NODE_REPORT_TTL_MS).catch((err: unknown) => logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'node report not put'));
  };
  const reportTimer = reports && setInterval(putReport, NODE_REPORT_EVERY_MS);
  reportTimer?.unref();
  putReport();

  // Refused requests reach the audit log as counts per address and code per interval (docs/audit.md).
  const refusals = new RefusalAudit(clock, config.audit.maxRefusalSources, (event) => commits.recordAudit(event));
  const refusalTimer = setInterval(() => refusals.flush(), config.audit.refusalIntervalSeconds * 1000);
  refusalTimer.unref();
  let draining = false;
  const storeHealth = cachedProbe(() => store.ping(), 1000, clock);
  const coordinationHealth = cachedProbe(() => coordination.ping(), 1000, clock);
  const http = buildHttpApp({
    api: publisher,
    secrets: apps,
    nonces,
    readiness: { ready: async () => !draining && (await storeHealth()) && (await coordinationHealth()) },
    clock,
    logger,
    limits,
    ...(tls ? { tls } : {}),
    onAuthFailure: (failure) => {
      metrics.authFailure(failure.code);
      activity.authFailure(failure);
      refusals.record(failure);
    },
    failedAuths: new FailedAuthLimit(rateLimit('failedAuth', rates.failedAuth), clock),
    trustProxy: config.trustProxy, jwtAudience: config.jwtAudience,
    ...(config.metrics ? { metrics: prometheus } : {}),
    admin: adminSourceOf(core, server.identity, { report: selfReport, verification: lastVerification, reports, logger }),
    ...packageFiles(config.pages),
  });
  gateway.attach(http.server);

  // Polled often (one read of the chain head); the policy decides when one is due.
  const checkpointTimer = setInterval(() => {
    checkpointer.tick().catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'audit checkpoint failed'));
  }, Math.min(CHECKPOINT_POLL_MS, config.audit.checkpointEverySeconds * 1000));
  checkpointTimer.unref();

  const retention = new ClientRetention({ store, clock, logger, retentionMs: config.clientRetentionDays * 86_400_000 });
  return {
    http,
    gateway,
    identity: server.identity,
    sweep: async () => {
      const swept = await sweepExpired({ store, clock, logger, retentionMs: config.retentionSeconds * 1000, clients: retention });
      if (swept.expired > 0) metrics.expired(swept.expired);
      return swept;
    },
    drain: async () => {
      draining = true;
      gateway.drain();
      await http.close();
      clearInterval(refusalTimer);
      refusals.flush();
      await commits.flush();
      clearInterval(checkpointTimer);
      if (reportTimer) clearInterval(reportTimer);
      // A clean shutdown leaves the whole chain covered by a signed checkpoint.
      await checkpointer.tick(true).catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'audit checkpoint failed'));
      await nonces.close();
      await bus.close();
      await coordination.close();
      await core.close();
    },
  };
}

/** Nonces, presence and routing: in this process, or shared by every node through Redis (config `redis`). */
interface Coordination {
  readonly nonces: NonceCache;
  readonly bus: Bus;
  /** Where the nodes tell each other what they hold (dashboard); none on a single node. */
  readonly reports?: NodeReports;
  /** A rate limit (named for its keys): shared by every node through Redis, else this node's. */
  rateLimit(name: string, spec: RateLimitSpec): RateLimit;
  /** Resolves once the bus receives for the subscriptions made so far. */
  subscribed(): Promise<void>;
  /** For readiness: rejects while Redis cannot be reached. */
  ping(): Promise<void>;
  /** Closes the connections (after nonces and bus are closed). */
  close(): Promise<void>;
}

async function openCoordination(config: Config, nodeId: string, payloadKey: Uint8Array, logger: PinoLogger): Promise<Coordination> {
  if (config.redis === undefined) {
    const idle = async (): Promise<void> => {};
    const rateLimit = (_name: string, spec: RateLimitSpec): RateLimit => new MemoryRateLimit(spec, systemClock);
    const nonces = new MemoryNonceCache({ maxEntries: config.limits.maxNonces, maxEntriesPerOwner: config.limits.maxNoncesPerApp });
    return { nonces, bus: new LocalBus({ logger }), rateLimit, subscribed: idle, ping: idle, close: idle };
  }
  const commands = await openRedisConnection({ url: config.redis, name: `sealpush:${nodeId}`, logger });
  const subscriber = await duplicateRedisConnection(commands, logger).catch(async (err: unknown) => {
    await closeRedisConnection(commands);
    throw err;
  });
  const nonces = new RedisNonceCache(commands);
  const cipher = createBusEnvelopeCipher(payloadKey);
  const bus = new RedisBus({ commands, subscriber, cipher, logger });
  logger.info({ redis: redactRedisUrl(config.redis), nodeId }, 'nonces, presence and routing on Redis');
  return {
    nonces,
    bus,
    reports: new RedisNodeReports(commands, cipher),
    rateLimit: (name, spec) => new RedisRateLimit(commands, { ...spec, name, fallback: new MemoryRateLimit(spec, systemClock), logger }),
    subscribed: () => bus.subscriptionsReady(),
    ping: async () => {
      await Promise.all([nonces.ping(), bus.ping()]);
    },
    close: async () => {
      await Promise.all([closeRedisConnection(subscriber), closeRedisConnection(commands)]);
    },
  };
}

/** A node renews its report every second; one not renewed for five is gone (stopped, or cut off). */
const NODE_REPORT_EVERY_MS = 1000;
const NODE_REPORT_TTL_MS = 5000;

/** The config file's per-app settings (delivery, receipts), written as `apps update` would write them. */
async function applyConfiguredDelivery(core: Core): Promise<void> {
  for (const [appId, { delivery, receipts, ...cohort }] of Object.entries(core.config.apps)) {
    try {
      await core.apps.update(appId, { delivery, cohort, receipts });
    } catch (err) {
      await core.close();
      throw new ConfigError(`config apps.${appId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
