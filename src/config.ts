import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { WEBHOOK_ALLOW_PRIVATE_ENV, webhooksSchema } from './webhook-config.js';
import { DEFAULT_DELIVERY_LIMITS } from './domain/usecases/delivery-stream.js';
import { DEFAULT_MAX_JSON_DEPTH } from './domain/json-depth.js';
import { DEFAULT_PUBLISH_LIMITS } from './domain/publish-request.js';
import { rateLimitSpec, type RateLimitSpec } from './domain/ports/rate-limit.js';
import { DEFAULT_WS_LIMITS } from './transport/ws/limits.js';
import { DEFAULT_JWT_AUDIENCE } from './crypto/bearer-binding.js';
import { DEFAULT_CLIENT_RETENTION_DAYS } from './domain/usecases/retention.js';
import { DEFAULT_HTTP_CONNECTION_LIMITS } from './transport/http/limits.js';

/**
 * Configuration: defaults, then an optional JSON file (`--config`, SEALPUSH_CONFIG), then
 * environment variables, then command-line flags. Validated once at start; a bad value
 * stops the start with a message that names it.
 */
const positiveInt = z.number().int().positive();
/** 24 h: a client that comes back within a day resumes without the full handshake. */
export const DEFAULT_TICKET_LIFETIME_SECONDS = 86_400;
const positiveNumber = z.number().positive().finite();

/** HTTP timeouts and the per-address TCP cap (transport/http/limits.ts has the contract of each). */
const httpLimitsSchema = {
  maxHttpConnectionsPerIp: positiveInt.default(DEFAULT_HTTP_CONNECTION_LIMITS.maxHttpConnectionsPerIp),
  httpRequestTimeoutMs: positiveInt.default(DEFAULT_HTTP_CONNECTION_LIMITS.httpRequestTimeoutMs),
  httpHeadersTimeoutMs: positiveInt.default(DEFAULT_HTTP_CONNECTION_LIMITS.httpHeadersTimeoutMs),
  httpKeepAliveTimeoutMs: positiveInt.default(DEFAULT_HTTP_CONNECTION_LIMITS.httpKeepAliveTimeoutMs),
};

const limitsSchema = z
  .object({
    maxFrameBytes: positiveInt.default(DEFAULT_WS_LIMITS.maxFrameBytes),
    maxClientMessageBytes: positiveInt.default(DEFAULT_WS_LIMITS.maxClientMessageBytes),
    maxConnections: positiveInt.default(DEFAULT_WS_LIMITS.maxConnections),
    maxConnectionsPerIp: positiveInt.default(DEFAULT_WS_LIMITS.maxConnectionsPerIp),
    maxHandshakesInProgress: positiveInt.default(DEFAULT_WS_LIMITS.maxHandshakesInProgress),
    handshakeTimeoutMs: positiveInt.default(DEFAULT_WS_LIMITS.handshakeTimeoutMs),
    idleTimeoutMs: positiveInt.default(DEFAULT_WS_LIMITS.idleTimeoutMs),
    heartbeatMs: positiveInt.default(DEFAULT_WS_LIMITS.heartbeatMs),
    sendHighWaterBytes: positiveInt.default(DEFAULT_WS_LIMITS.sendHighWaterBytes),
    slowConsumerTimeoutMs: positiveInt.default(DEFAULT_WS_LIMITS.slowConsumerTimeoutMs),
    frameDataBytes: positiveInt.default(DEFAULT_DELIVERY_LIMITS.frameDataBytes),
    pageSize: positiveInt.default(DEFAULT_DELIVERY_LIMITS.pageSize),
    maxLiveQueue: positiveInt.default(DEFAULT_DELIVERY_LIMITS.maxLiveQueue),
    maxLiveQueueBytes: positiveInt.default(DEFAULT_DELIVERY_LIMITS.maxLiveQueueBytes),
    maxDataBytes: positiveInt.default(DEFAULT_PUBLISH_LIMITS.maxDataBytes),
    defaultTtlSeconds: positiveInt.default(DEFAULT_PUBLISH_LIMITS.defaultTtlSeconds),
    maxTtlSeconds: positiveInt.default(DEFAULT_PUBLISH_LIMITS.maxTtlSeconds),
    bodyLimitBytes: positiveInt.default(4 * 1024 * 1024),
    /**
     * Deepest nesting of arrays and objects in a REST body. At least 4 (a batch's envelope is 3
     * levels); at most the default, which the SDKs also apply to the data they receive.
     */
    maxJsonDepth: z.number().int().min(4).max(DEFAULT_MAX_JSON_DEPTH).default(DEFAULT_MAX_JSON_DEPTH),
    maxBatchMessages: positiveInt.default(5000),
    /** Messages an app may publish per second (batch items count one each); may be fractional. */
    publishesPerSecondPerApp: positiveNumber.default(50_000),
    /** Most messages an app may publish at once after a quiet spell; absent: as many as the rate. */
    publishBurstPerApp: positiveInt.optional(),
    /** Pending messages one client may hold; past it a publish to it is refused (409 ERR_CLIENT_FULL). */
    maxPendingPerClient: positiveInt.default(10_000),
    /**
     * WebSocket upgrades per second from one address; may be fractional. A node completes about
     * 600 handshakes per CPU-second: the default lets one address take about 3% of a core.
     */
    handshakesPerSecondPerIp: positiveNumber.default(20),
    /** Most upgrades one address may make at once; absent: as many as the rate. */
    handshakeBurstPerIp: positiveInt.optional(),
    /** Reads (message status, receipt, client) an app may make per second; may be fractional. */
    readsPerSecondPerApp: positiveNumber.default(1000),
    /** Most reads an app may make at once; absent: as many as the rate. */
    readBurstPerApp: positiveInt.optional(),
    /** Failed authentications per second from one address; past it, 429 before any signature work. */
    failedAuthsPerSecondPerIp: positiveNumber.default(10),
    /** Most failed authentications one address may have at once; absent: as many as the rate. */
    failedAuthBurstPerIp: positiveInt.optional(),
    /** New clients (static keys not seen before) an app may register per second; may be fractional. */
    registrationsPerSecondPerApp: positiveNumber.default(100),
    /** Most new clients an app may register at once; absent: as many as the rate. */
    registrationBurstPerApp: positiveInt.optional(),
    /**
     * Replay-cache entries (nonces, jtis) the in-memory cache holds (no Redis), about 150 bytes
     * each; when all are live, requests get 503 ERR_UNAVAILABLE (never a replay let through).
     */
    maxNonces: positiveInt.default(1_000_000),
    /**
     * Of those, the most one app may hold; past it that app's requests get 429
     * ERR_RATE_LIMITED, the other apps' are unaffected.
     */
    maxNoncesPerApp: positiveInt.default(200_000),
    ...httpLimitsSchema,
  })
  .strict()
  .default({});

/** Signed checkpoints of the audit chain (docs/audit.md): whichever comes first. */
const auditSchema = z
  .object({
    /** A checkpoint once this many audit records were appended since the last one. */
    checkpointEveryRecords: positiveInt.default(10_000),
    /** A checkpoint once this many seconds passed since the last one, if any record was appended. */
    checkpointEverySeconds: positiveInt.default(60),
    /**
     * `audit verify` fails on a record no signed checkpoint covers once it is older than
     * checkpointEverySeconds plus this (clocks of nodes and verifier, a busy node).
     */
    checkpointGraceSeconds: z.number().int().nonnegative().default(30),
    /** Fingerprints (`sealpush keys show`) of the audit keys verification accepts; empty: the master key anchors them. */
    pinnedKeys: z.array(z.string().regex(/^[A-Za-z0-9_-]{16}$/, 'an audit key fingerprint: 16 base64url characters')).default([]),
    /** Refused requests are recorded as counts per address and code, one record each per this many seconds. */
    refusalIntervalSeconds: positiveInt.default(10),
    /** Addresses (with one code) recorded on their own per interval; the refusals of any others share one record per code. */
    maxRefusalSources: z.number().int().min(0).default(100),
  })
  .strict()
  .default({});

/**
 * Per-app settings, as `sealpush apps update` sets them, applied to the store when a node
 * starts (so the file and the CLI never disagree for long: the last one applied wins, and
 * running nodes pick either up within a second): the delivery, and `receipts` (signed ACKs,
 * docs/receipts.md), each optional. Values are checked by the domain (Apps.update); a bad one
 * stops the start, naming the app.
 */
const appDeliverySchema = z
  .object({
    delivery: z.enum(['direct', 'cohort']).optional(),
    tickMs: z.number().optional(),
    cohortSize: z.number().optional(),
    slotBytes: z.array(z.number()).optional(),
    slotCounts: z.array(z.number()).optional(),
    receipts: z.boolean().optional(),
  })
  .strict();

const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./sealpush-data'),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * Where state lives: 'sqlite' (the embedded default, a file in dataDir) or a MySQL URL,
     * mysql://user:password@host:3306/database (MySQL 8, MariaDB 10.11+; docs/deploy.md).
     */
    store: z.string().min(1).default('sqlite'),
    /** SQLite: 'full' fsyncs every commit (survives power loss); 'normal' survives a process crash only. */
    durability: z.enum(['full', 'normal']).default('full'),
    /**
     * SQLite: the page cache of the store's connection, MiB. It fills as the database grows
     * and then stays at this size: the node's resident memory settles this much above its start.
     * Unset: the driver's DEFAULT_SQLITE_CACHE_MIB (16).
     */
    sqliteCacheMiB: z.number().int().min(1).max(16_384).optional(),
    /** 32-byte master key as base64url or hex, instead of the key file in the data dir. */
    masterKey: z.string().min(1).optional(),
    /**
     * The master key file (created 0600 on first use if absent, its directory 0700). Default
     * `<dataDir>/master.key`; production keeps it outside the data directory (docs/deploy.md),
     * so that a copy of the database never travels with the key that opens it.
     */
    masterKeyFile: z.string().min(1).optional(),
    sweepIntervalMs: positiveInt.default(5000),
    /** Delivered, acked and last-seen marks are written at most this long after they happen. */
    markFlushMs: positiveInt.default(200),
    /**
     * Group commit: a commit starts at least this long after the previous one started, so
     * that single publishes arriving meanwhile share its fsync. 0 turns it off. A publish after
     * a quiet spell commits at once; under a steady stream, each waits up to this much more.
     */
    commitIntervalMs: z.number().int().min(0).max(50).default(2),
    /**
     * A delivered mark waits this long (up to twice this) for the client's ACK, which makes it
     * needless: each message row is then written once, acked. 0 writes delivered marks with the
     * next commit. Longer than the SDK's ackDelayMs (100 ms) plus a round trip.
     */
    deliveredHoldMs: z.number().int().min(0).max(60_000).default(500),
    /**
     * With Redis (several nodes): how often a node checks its live clients against the store
     * for messages a dropped bus envelope left behind. Unused without Redis (nothing is dropped).
     */
    catchUpIntervalMs: positiveInt.default(5000),
    /** Finished (acked or expired) messages are deleted this long after their creation. */
    retentionSeconds: positiveInt.default(7 * 86_400),
    /**
     * A client that has not connected for this many days (may be fractional) is forgotten once
     * it holds no message (docs/forget.md, "Retention"): its key salt, and so its at-rest key, go.
     */
    clientRetentionDays: positiveNumber.default(DEFAULT_CLIENT_RETENTION_DAYS),
    drainTimeoutMs: positiveInt.default(10_000),
    /**
     * How long a resumption ticket is accepted (docs/protocol.md section 2.6), and the length of
     * an epoch of the ticket keys: a returning client within it skips the full handshake. `0`
     * turns tickets off (no TICKET frame, a resume hello gets ERR_TICKET). The same on every node.
     */
    ticketLifetimeSeconds: z.number().int().min(0).max(30 * 86_400).default(DEFAULT_TICKET_LIFETIME_SECONDS),
    /** PEM certificate chain and private key files: serve https and wss. Both or neither. */
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    /**
     * Without TLS the server binds loopback addresses only. This allows plain HTTP on any
     * address, for a node behind a TLS-terminating proxy (the Noise channel still protects
     * messages end to end; REST requests and their signatures then cross that hop in the clear).
     */
    allowInsecure: z.boolean().default(false),
    /**
     * Every connection comes through one reverse proxy (nginx) that appends the peer's address
     * to X-Forwarded-For: the client address (handshakes per IP, the audit's remote address) is
     * then that last entry instead of the proxy's. Leave off when clients can reach the node
     * directly: they could name any address they like.
     */
    trustProxy: z.boolean().default(false),
    /**
     * The `aud` every bearer token (JWT) must name (docs/api.md): what identifies this deployment
     * to its publishers, e.g. its public URL. The same on every node. 1 to 255 visible ASCII characters.
     */
    jwtAudience: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters (no spaces)').default(DEFAULT_JWT_AUDIENCE),
    /**
     * Serve `GET /metrics` (Prometheus text, docs/metrics.md), unauthenticated like /readyz:
     * keep it off the public network (a proxy that does not forward it, or a firewall).
     */
    metrics: z.boolean().default(true),
    /** Serve the operator dashboard `/dashboard` and the demo page `/demo` (docs/pages.md); they hold no data. */
    pages: z.boolean().default(true),
    /**
     * `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS): nonces, presence and
     * cross-node routing go through this Redis, shared by every node (docs/deploy.md). Absent:
     * in this process only, for a single node. The message never echoes the URL (it may hold a password).
     */
    redis: z.string().refine(isRedisUrl, { message: 'must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379' }).optional(),
    limits: limitsSchema,
    audit: auditSchema,
    webhooks: webhooksSchema,
    /** App id -> its delivery and receipts settings (see appDeliverySchema). */
    apps: z.record(appDeliverySchema).default({}),
  })
  .strict();

/** The master key file's name in the data directory, when `masterKeyFile` does not say where. */
const MASTER_KEY_FILE_NAME = 'master.key';

/** After parseConfig: every path absolute, and the master key file always named. */
export type Config = z.infer<typeof configSchema> & { readonly masterKeyFile: string };
export type ConfigInput = z.input<typeof configSchema>;
export type Limits = Config['limits'];

/** Every option that has a default, at its default, as a config file spells it (paths as written, not resolved). */
export function configDefaults(): ConfigInput {
  return configSchema.parse({});
}

/** The rate limits of `limits`, by name (their key prefix on Redis): docs/configuration.md. */
export function rateLimitSpecs(limits: Limits): Record<'publish' | 'handshake' | 'read' | 'failedAuth' | 'registration', RateLimitSpec> {
  return {
    publish: rateLimitSpec(limits.publishesPerSecondPerApp, limits.publishBurstPerApp),
    handshake: rateLimitSpec(limits.handshakesPerSecondPerIp, limits.handshakeBurstPerIp),
    read: rateLimitSpec(limits.readsPerSecondPerApp, limits.readBurstPerApp),
    failedAuth: rateLimitSpec(limits.failedAuthsPerSecondPerIp, limits.failedAuthBurstPerIp),
    registration: rateLimitSpec(limits.registrationsPerSecondPerApp, limits.registrationBurstPerApp),
  };
}

/** Environment variable -> config key, with the parser for its text. */
const ENV: ReadonlyArray<[string, keyof ConfigInput, (text: string) => unknown]> = [
  ['SEALPUSH_DATA_DIR', 'dataDir', String],
  ['SEALPUSH_HOST', 'host', String],
  ['SEALPUSH_PORT', 'port', Number],
  ['SEALPUSH_LOG_LEVEL', 'logLevel', String],
  ['SEALPUSH_DURABILITY', 'durability', String],
  ['SEALPUSH_SQLITE_CACHE_MIB', 'sqliteCacheMiB', Number],
  ['SEALPUSH_STORE', 'store', String],
  ['SEALPUSH_MASTER_KEY', 'masterKey', String],
  ['SEALPUSH_MASTER_KEY_FILE', 'masterKeyFile', String],
  ['SEALPUSH_TLS_CERT', 'tlsCert', String],
  ['SEALPUSH_TLS_KEY', 'tlsKey', String],
  ['SEALPUSH_REDIS', 'redis', String],
  ['SEALPUSH_ALLOW_INSECURE', 'allowInsecure', envBoolean],
  ['SEALPUSH_TRUST_PROXY', 'trustProxy', envBoolean],
  ['SEALPUSH_JWT_AUDIENCE', 'jwtAudience', String],
  ['SEALPUSH_METRICS', 'metrics', envBoolean],
  ['SEALPUSH_PAGES', 'pages', envBoolean],
  ['SEALPUSH_TICKET_LIFETIME_SECONDS', 'ticketLifetimeSeconds', Number],
];

function envBoolean(text: string): unknown {
  return text === '1' || text === 'true' ? true : text === '0' || text === 'false' ? false : text;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigSources {
  readonly env?: NodeJS.ProcessEnv;
  /** Flags given on the command line (already named as config keys). */
  readonly flags?: Partial<Record<keyof ConfigInput, unknown>>;
  /** Path of a JSON config file. */
  readonly file?: string;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const merged: Record<string, unknown> = {};
  const file = sources.file ?? env.SEALPUSH_CONFIG;
  if (file) Object.assign(merged, readConfigFile(file));
  for (const [name, key, parse] of ENV) {
    const text = env[name];
    if (text !== undefined && text !== '') merged[key] = parse(text);
  }
  const allowPrivate = env[WEBHOOK_ALLOW_PRIVATE_ENV];
  if (allowPrivate !== undefined && allowPrivate !== '') {
    merged.webhooks = { ...(merged.webhooks as object | undefined), allowPrivate: envBoolean(allowPrivate) };
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value !== undefined) merged[key] = value;
  }
  return parseConfig(merged);
}

export function parseConfig(input: unknown): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  if ((result.data.tlsCert === undefined) !== (result.data.tlsKey === undefined)) {
    throw new ConfigError('Invalid configuration:\n  tlsCert, tlsKey: give both (a certificate and its key) or neither');
  }
  const { httpHeadersTimeoutMs, httpRequestTimeoutMs } = result.data.limits;
  if (httpHeadersTimeoutMs > httpRequestTimeoutMs) {
    throw new ConfigError('Invalid configuration:\n  limits.httpHeadersTimeoutMs: must not exceed limits.httpRequestTimeoutMs (the headers are part of the request)');
  }
  checkStore(result.data.store);
  const dataDir = resolve(result.data.dataDir);
  return { ...result.data, dataDir, masterKeyFile: resolve(result.data.masterKeyFile ?? join(dataDir, MASTER_KEY_FILE_NAME)) };
}

function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * The store URL with its password replaced by ***: the form that may be logged or shown. Text
 * only (no URL parsing, which a malformed URL would fail): everything from the user's colon
 * to the last '@' is masked, so a password with an unescaped '@' or '/' never shows either.
 */
export function maskedStoreUrl(store: string): string {
  const at = store.lastIndexOf('@');
  const scheme = store.indexOf('://');
  const colon = store.indexOf(':', scheme < 0 ? 0 : scheme + 3);
  if (at < 0 || colon < 0 || colon > at) return store;
  return `${store.slice(0, colon + 1)}***${store.slice(at)}`;
}

/** 'sqlite', or a mysql:// URL naming a host and one database; the error never shows the password. */
function checkStore(store: string): void {
  if (store === 'sqlite') return;
  const bad = (why: string): never => {
    throw new ConfigError(`Invalid configuration:\n  store: ${why} (got ${maskedStoreUrl(store)}); expected sqlite or mysql://user:password@host:3306/database`);
  };
  let url: URL;
  try {
    url = new URL(store);
  } catch {
    return bad('not a URL');
  }
  if (url.protocol !== 'mysql:') bad(`unknown store ${url.protocol.replace(/:$/, '')}`);
  if (url.hostname === '') bad('no host');
  if (!/^\/[^/]+$/.test(url.pathname)) bad('no database name (the path, e.g. /sealpush)');
}

function readConfigFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    // V8 quotes the text around a syntax error, which may be a password: keep only what is wrong.
    const why = err instanceof Error ? err.message.replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, ' (not valid JSON)') : String(err);
    throw new ConfigError(`Cannot read config file ${path}: ${why}`);
  }
}
