/**
 * The REST API as a fastify instance: `/v1` (signed; see auth.ts), `/v1/admin` (an admin
 * token only; routes/admin.ts), `/healthz`, `/readyz`,
 * `/metrics`, the API's description `/v1/openapi.json` and `/docs` (public; openapi.ts), the
 * index `/` (routes/front-door.ts), and the pages `/dashboard` and `/demo` (public HTML that
 * holds no data; routes/pages.ts). Each request logs one line at info (request-log.ts).
 * `buildHttpApp` neither listens nor attaches the WebSocket gateway: the composer attaches
 * the gateway to `app.server` and calls `listen`.
 *
 * Every error, whatever raised it (the domain, fastify, node:http), leaves as
 * `{ "error": { "code", "message" } }` with the catalogue's status (errors.ts). Nothing
 * here logs a body, the Authorization header or a secret.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { SealPushError } from '../../domain/errors.js';
import { DEFAULT_MAX_JSON_DEPTH, nestsDeeperThan } from '../../domain/json-depth.js';
import type { NonceCache } from '../../domain/ports/nonce-cache.js';
import type { AppSecrets, PushApi, Readiness } from '../../domain/ports/push-api.js';
import type { Clock } from '../../domain/ports/runtime.js';
import type { WebhookApi } from '../../domain/ports/webhook-api.js';
import type { AuthFailure } from '../../domain/audit.js';
import type { FailedAuthLimit } from '../../domain/usecases/failed-auth-limit.js';
import { fastifyTrustProxy } from '../client-address.js';
import { RequestAuthenticator } from './auth.js';
import { DEFAULT_HTTP_CONNECTION_LIMITS, capConnectionsPerPeer, httpServerTimeouts, type HttpConnectionLimits } from './limits.js';
import { rawHttpError, sendError, toCatalogueError } from './errors.js';
import { registerClientRoutes } from './routes/clients.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMessageRoutes } from './routes/messages.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import { registerApiDocsRoutes, registerOpenApi } from './openapi.js';
import { registerMetricsRoute, type MetricsSource } from './routes/metrics.js';
import { adminAuthHook, registerAdminRoutes, type AdminSource } from './routes/admin.js';
import { registerPages, type PageFiles } from './routes/pages.js';
import { registerFrontDoor, type SiteFiles } from './routes/front-door.js';
import { noteRefusal, registerRequestLog, requestLogController } from './request-log.js';
import { DOC_KEYWORDS } from './schemas.js';
import { siteLinks } from './site-links.js';

export interface HttpLimits extends Partial<HttpConnectionLimits> {
  /** Largest request body in bytes; larger gets 413 ERR_TOO_LARGE unread. Default 4194304 (4 MiB). */
  readonly bodyLimitBytes?: number;
  /** Deepest nesting of arrays and objects in a JSON body; deeper gets 400 ERR_BAD_REQUEST unparsed. Default 64. */
  readonly maxJsonDepth?: number;
}

export const DEFAULT_HTTP_LIMITS: Required<HttpLimits> = { bodyLimitBytes: 4 * 1024 * 1024, maxJsonDepth: DEFAULT_MAX_JSON_DEPTH, ...DEFAULT_HTTP_CONNECTION_LIMITS };

export interface HttpAppDeps {
  readonly api: PushApi;
  /** An app's own webhook endpoints under `/v1/webhooks` (routes/webhooks.ts). Absent: no such routes. */
  readonly webhooks?: WebhookApi;
  readonly secrets: AppSecrets;
  readonly nonces: NonceCache;
  readonly readiness: Readiness;
  /** Milliseconds since the epoch; the signature window is checked against it. */
  readonly clock: Clock;
  /** A pino logger (or fastify-compatible); a child with redaction is derived from it. */
  readonly logger: FastifyBaseLogger;
  readonly limits?: HttpLimits;
  /** PEM certificate chain and key: the app serves https (and the gateway wss) on them. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Told of every request refused with an ERR_AUTH_* code or by `failedAuths` (the audit log records them). */
  readonly onAuthFailure?: (failure: AuthFailure) => void;
  /** The `aud` a bearer token must name (config `jwtAudience`; auth.ts). Default "sealpush". */
  readonly jwtAudience?: string;
  /** Failed authentications per source address: past it, 429 before any signature work (`/v1`, `/v1/admin`). */
  readonly failedAuths?: FailedAuthLimit;
  /** `request.ip` from X-Forwarded-For (config `trustProxy`; ../client-address.ts). Default false. */
  readonly trustProxy?: boolean;
  /** Served at `GET /metrics` (unsigned, like /readyz). Absent: no such route. */
  readonly metrics?: MetricsSource;
  /** Served under `/v1/admin` behind an admin token (routes/admin.ts). Absent: no such routes. */
  readonly admin?: AdminSource;
  /** `/dashboard`, `/demo` and their files (routes/pages.ts). Absent: no such routes. */
  readonly pages?: PageFiles;
  /** The version `/` shows and the stylesheet of `/` and `/docs` (routes/front-door.ts). Absent: no `/`. */
  readonly site?: SiteFiles;
}

/** Belt and braces: fastify's serializers log no headers or bodies, and these never appear. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'req.body',
  'body',
  'secret',
  '*.secret',
];

export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const bodyLimit = deps.limits?.bodyLimitBytes ?? DEFAULT_HTTP_LIMITS.bodyLimitBytes;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1) {
    throw new RangeError(`limits.bodyLimitBytes must be a positive integer, got ${String(bodyLimit)}`);
  }
  const logger = deps.logger.child(
    { component: 'http' },
    { redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
  );

  const limits = { ...DEFAULT_HTTP_LIMITS, ...deps.limits };
  const timeouts = httpServerTimeouts(limits);
  const app = Fastify({
    ...(deps.tls ? { https: { cert: deps.tls.cert, key: deps.tls.key, ...timeouts } } : { http: timeouts }),
    requestTimeout: timeouts.requestTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeout,
    loggerInstance: logger,
    // fastify's own lines (arrival, completion) give way to one line per request: request-log.ts.
    logController: requestLogController(),
    bodyLimit,
    trustProxy: fastifyTrustProxy(deps.trustProxy ?? false),
    // Fastify's own 503-on-close body has another shape; draining is signalled through
    // Readiness instead (publish routes and /readyz answer ERR_UNAVAILABLE).
    return503OnClosing: false,
    // Bodies are checked as sent: no type coercion, no silent removal of properties.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, keywords: DOC_KEYWORDS } },
    frameworkErrors: (err, _request, reply) => {
      void sendError(reply, toCatalogueError(err) ?? new SealPushError('ERR_BAD_REQUEST'));
    },
    clientErrorHandler,
  });

  // Behind the trusted proxy every connection is the proxy's: it limits its clients itself.
  if (deps.trustProxy !== true) capConnectionsPerPeer(app.server, limits.maxHttpConnectionsPerIp);

  // The body stays raw bytes until the signature over them is verified (auth.ts parses it),
  // but its nesting is bounded here, for every route, before anything parses or walks it.
  // Any other content type is refused by fastify as FST_ERR_CTP_INVALID_MEDIA_TYPE (415).
  const maxJsonDepth = deps.limits?.maxJsonDepth ?? DEFAULT_HTTP_LIMITS.maxJsonDepth;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    if (!nestsDeeperThan(body, maxJsonDepth)) return done(null, body);
    done(new SealPushError('ERR_BAD_REQUEST', `The body nests arrays and objects deeper than ${maxJsonDepth} levels (limits.maxJsonDepth)`));
  });

  app.setErrorHandler((err, request, reply) => {
    const known = toCatalogueError(err);
    if (known === undefined) {
      request.log.error({ err }, 'unexpected error serving a request');
      return sendError(reply, new SealPushError('ERR_INTERNAL'));
    }
    noteRefusal(request, known.code);
    if (known.httpStatus >= 500) request.log.warn({ code: known.code, err }, 'request failed');
    else request.log.debug({ code: known.code, message: known.message }, 'request refused');
    return sendError(reply, known);
  });

  app.setNotFoundHandler((request, reply) => {
    noteRefusal(request, 'ERR_NOT_FOUND');
    return sendError(reply, new SealPushError('ERR_NOT_FOUND', 'No such route'));
  });
  registerRequestLog(app);

  // The route table as registered (HEAD mirrors of GET routes are fastify's own): registeredRoutes().
  const routes: RegisteredRoute[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });

  // Before every route, so that its onRoute hook documents them all (openapi.ts).
  registerOpenApi(app);
  void app.register(async (root) => {
    registerHealthRoutes(root, deps.readiness);
    const links = siteLinks(deps.pages !== undefined);
    registerApiDocsRoutes(root, links.filter((link) => link.page));
    if (deps.site) registerFrontDoor(root, deps.site, links);
    if (deps.metrics) registerMetricsRoute(root, deps.metrics);
    if (deps.pages) registerPages(root, deps.pages);
  });

  const auth = new RequestAuthenticator({ secrets: deps.secrets, nonces: deps.nonces, clock: deps.clock, jwtAudience: deps.jwtAudience });
  const { failedAuths, onAuthFailure = () => {} } = deps;
  const audited = (hook: (request: FastifyRequest) => Promise<void>) => RequestAuthenticator.audited(hook, onAuthFailure, failedAuths);
  // First of all, before any header parsing, body read or signature work.
  const refuseFailingAddress = async (request: FastifyRequest): Promise<void> => failedAuths?.check(request.ip);
  void app.register(
    async (v1) => {
      if (failedAuths) v1.addHook('onRequest', audited(refuseFailingAddress));
      v1.addHook('onRequest', audited(auth.checkHeader));
      v1.addHook('preValidation', audited(auth.verify));
      registerMessageRoutes(v1, { api: deps.api, readiness: deps.readiness, auth });
      registerClientRoutes(v1, { api: deps.api, auth });
      if (deps.webhooks) registerWebhookRoutes(v1, { api: deps.webhooks, auth });
    },
    { prefix: '/v1' },
  );

  // A sibling of /v1, not inside it: the app schemes' hooks do not run here, only the admin token's.
  const admin = deps.admin;
  if (admin) {
    void app.register(
      async (scope) => {
        if (failedAuths) scope.addHook('onRequest', audited(refuseFailingAddress));
        scope.addHook('onRequest', audited(adminAuthHook(admin)));
        registerAdminRoutes(scope, admin);
      },
      { prefix: '/v1/admin' },
    );
  }

  return app;
}

export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
}

const routeTables = new WeakMap<FastifyInstance, readonly RegisteredRoute[]>();

/** Every route `buildHttpApp` registered on `app`, as fastify saw it (for the OpenAPI coverage test). */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return routeTables.get(app) ?? [];
}

/** node:http could not parse the request at all: answer in the same shape, then close. */
const clientErrorHandler: NonNullable<FastifyServerOptions['clientErrorHandler']> = (err, socket) => {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  // Destroyed once the answer is out: a peer still trickling bytes holds nothing open.
  socket.end(rawHttpError('ERR_BAD_REQUEST', timedOut ? 'The request was not received in time' : 'Malformed HTTP request'), () => socket.destroy());
};
