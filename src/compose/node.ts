/**
 * The composition root's node wiring: a validated Config in, a serving node out (store,
 * coordination, use cases, HTTP and WebSocket). Only src/compose/ imports drivers.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { randomBytes } from 'node:crypto';
import { ConfigError, rateLimitSpecs, type Config } from '../config.js';
import type { Defer } from '../domain/ports/runtime.js';
import type { NodeReport } from '../domain/ports/node-reports.js';
import { ClientCiphers } from '../domain/usecases/client-ciphers.js';
import { CommitQueue } from '../domain/usecases/commit-queue.js';
import { Forgetting } from '../domain/usecases/forget.js';
import { LiveClients } from '../domain/usecases/live-clients.js';
import { Publisher } from '../domain/usecases/publisher.js';
import { AppWebhooks } from '../domain/usecases/app-webhooks.js';
import { FailedAuthLimit } from '../domain/usecases/failed-auth-limit.js';
import { RefusalAudit } from '../domain/usecases/refusal-audit.js';
import { Router } from '../domain/usecases/router.js';
import { loadOrCreateServerKey } from '../domain/usecases/server-keys.js';
import { Sessions } from '../domain/usecases/sessions.js';
import { TicketKeys } from '../domain/usecases/ticket-keys.js';
import { ServerIdentities } from '../domain/usecases/server-identity.js';
import { sweepExpired } from '../domain/usecases/expiry.js';
import { ClientRetention } from '../domain/usecases/retention.js';
import { NodeActivity, withActivity } from '../domain/usecases/activity.js';
import { nodeSignatureVerifier } from '../crypto/node/ed25519.js';
import { staticKeyPairFromPrivate } from '../crypto/node/keys.js';
import { nodeNoiseCrypto } from '../crypto/node/noise-crypto.js';
import { createPayloadKeyring } from '../crypto/node/at-rest.js';
import { TicketSealer } from '../crypto/node/ticket.js';
import { PrometheusMetrics } from '../drivers/metrics/prometheus.js';
import { buildHttpApp } from '../transport/http/app.js';
import { packageFiles } from '../transport/http/routes/pages.js';
import { Gateway } from '../transport/ws/gateway.js';
import type { Connection } from '../transport/ws/connection.js';
import { adminSourceOf, type NodeSelf } from './admin.js';
import { CHECKPOINT_POLL_MS, auditCheckpointerOf } from './audit.js';
import { openCoordination } from './coordination.js';
import { elapsedClock, openCore, type Core } from './core.js';
import { loadServerIdentity, type ServerIdentity } from './keys.js';
import { nodeReadiness } from './readiness.js';
import { errorMessage } from '../domain/errors.js';
import { startWebhooks } from './webhooks.js';

const deferToIo: Defer = (fn) => setImmediate(fn);

export interface Node {
  readonly http: FastifyInstance;
  readonly gateway: Gateway;
  readonly identity: ServerIdentity;
  /** Stops taking work, closes client connections, commits what is queued, closes the store. */
  drain(): Promise<void>;
  sweep(): Promise<{ expired: number; purged: number; pruned: number }>;
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

  // The publish path: publisher -> commit queue -> router -> live clients -> delivery stream -> connection.
  const live = new LiveClients<Connection>({ bus, nodeId, logger });
  const router = new Router(live, bus, nodeId, logger);
  // Read when scraped, once the gateway below exists.
  const prometheus = new PrometheusMetrics({ connections: () => gateway.connectionCount, queueDepth: (): number => commits.queueDepth });
  const activity = new NodeActivity(clock);
  const metrics = withActivity(prometheus, activity);
  const commits = new CommitQueue(store, clock, deferToIo, logger, (clientId, messages) => router.route(clientId, messages), {
    maxBatchMessages: limits.maxBatchMessages,
    delayMarks: (fn) => setTimeout(fn, config.markFlushMs).unref(),
    metrics,
    spacing: { minIntervalMs: config.commitIntervalMs, now: () => performance.now(), wait: (ms, fn) => setTimeout(fn, ms) },
    ...(config.deliveredHoldMs > 0 ? { holdDelivered: { ms: config.deliveredHoldMs, wait: (ms, fn) => setTimeout(fn, ms).unref() } } : {}),
  });
  const rates = rateLimitSpecs(limits);
  // Resumption tickets (docs/protocol.md section 2.6): sealed under per-epoch keys every node shares, claimed once each.
  const tickets = config.ticketLifetimeSeconds === 0 ? undefined : new TicketSealer(new TicketKeys({ store, kms, clock }, config.ticketLifetimeSeconds * 1000), clock);
  const sessions = new Sessions(store, commits, clock, rateLimit('registration', rates.registration), tickets && nonces);
  const gateway = new Gateway({
    live,
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
    ...(tickets ? { tickets } : {}),
    limits,
    logger,
    trustProxy: config.trustProxy,
    // LocalBus hands every offer over in process: nothing to catch up, so no cost.
    ...(config.redis === undefined ? {} : { catchUpIntervalMs: config.catchUpIntervalMs }),
  });
  // A forgotten client's connection here closes with ERR_CLIENT_FORGOTTEN (the SDK does not reconnect).
  forgetting.onForgotten((clientId) => live.get(clientId)?.fail('ERR_CLIENT_FORGOTTEN'));
  await coordination.subscribed();
  // One read budget per app, whatever it reads: messages, receipts, clients, webhooks.
  const readLimit = rateLimit('read', rates.read);
  const publisher = new Publisher({
    store,
    commits,
    ciphers,
    forgetting,
    presence: router,
    clock,
    limits,
    rateLimiter: rateLimit('publish', rates.publish),
    readLimit,
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
    appConnections: live.appCounts(),
    ...activity.reportPart(),
  });
  // With Redis, every node tells the others what it holds, for the operator's view of them all.
  const putReport = (): void => {
    reports?.put(selfReport(), NODE_REPORT_TTL_MS).catch((err: unknown) => logger.debug({ err: errorMessage(err) }, 'node report not put'));
  };
  const reportTimer = reports && setInterval(putReport, NODE_REPORT_EVERY_MS);
  reportTimer?.unref();
  putReport();

  // Refused requests reach the audit log as counts per address and code per interval (docs/audit.md).
  const refusals = new RefusalAudit(clock, config.audit.maxRefusalSources, (event) => commits.recordAudit(event));
  const refusalTimer = setInterval(() => refusals.flush(), config.audit.refusalIntervalSeconds * 1000);
  refusalTimer.unref();
  const readiness = nodeReadiness({ store: () => store.ping(), coordination: () => coordination.ping() }, elapsedClock);
  const http = buildHttpApp({
    api: publisher,
    webhooks: new AppWebhooks({ store, kms, clock, readLimit }),
    secrets: apps,
    nonces,
    readiness,
    clock,
    logger,
    limits,
    ...(tls ? { tls } : {}),
    onAuthFailure: (failure) => {
      metrics.authFailure(failure.code);
      activity.authFailure(failure);
      refusals.record(failure);
    },
    failedAuths: new FailedAuthLimit(rateLimit('failedAuth', rates.failedAuth), elapsedClock),
    trustProxy: config.trustProxy, jwtAudience: config.jwtAudience,
    ...(config.metrics ? { metrics: prometheus } : {}),
    admin: adminSourceOf(core, server.identity, { report: selfReport, verification: lastVerification, reports, logger }),
    ...packageFiles(config.pages),
  });
  gateway.attach(http.server);

  // Polled often (one read of the chain head); the policy decides when one is due.
  const checkpointTimer = setInterval(() => {
    checkpointer.tick().catch((err: unknown) => logger.error({ err: errorMessage(err) }, 'audit checkpoint failed'));
  }, Math.min(CHECKPOINT_POLL_MS, config.audit.checkpointEverySeconds * 1000));
  checkpointTimer.unref();

  const stopWebhooks = startWebhooks({ config, store, kms, clock, logger, nodeId, publisher, metrics: prometheus });

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
      readiness.drain();
      gateway.drain();
      await http.close();
      clearInterval(refusalTimer);
      refusals.flush();
      await commits.flush();
      await stopWebhooks();
      clearInterval(checkpointTimer);
      if (reportTimer) clearInterval(reportTimer);
      // A clean shutdown leaves the whole chain covered by a signed checkpoint.
      await checkpointer.tick(true).catch((err: unknown) => logger.error({ err: errorMessage(err) }, 'audit checkpoint failed'));
      await nonces.close();
      await bus.close();
      await coordination.close();
      await core.close();
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
      throw new ConfigError(`config apps.${appId}: ${errorMessage(err)}`);
    }
  }
}
