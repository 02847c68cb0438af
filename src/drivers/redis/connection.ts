/**
 * Connections to Redis for the nonce cache and the bus (ioredis). One command connection per
 * node is shared by both drivers; the bus opens its subscriber connection with `duplicate()`
 * (a connection in subscriber mode can run no other command).
 *
 * Failure policy, the same for every command: nothing is queued while disconnected and
 * nothing is retried after a reconnect (`enableOfflineQueue: false`, `maxRetriesPerRequest:
 * 0`), so a command either completes within `commandTimeoutMs` or rejects at once. A nonce
 * claim retried after a lost reply would come back "already claimed" and refuse a genuine
 * request; a queued one would hold the request for the whole outage. The connection itself
 * reconnects with capped exponential backoff for as long as it takes.
 */
import { Redis } from 'ioredis';
import { SealPushError, errorMessage } from '../../domain/errors.js';
import type { Logger } from '../../domain/ports/runtime.js';

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  readonly url: string;
  /** Shown by `CLIENT LIST` and in logs, e.g. `sealpush:node-ab12`. */
  readonly name?: string;
  /** A command without an answer this long rejects. Default 1000 ms. */
  readonly commandTimeoutMs?: number;
  /** A connection attempt is abandoned (and retried) after this long. Default 2000 ms. */
  readonly connectTimeoutMs?: number;
  /** Longest wait between reconnect attempts. Default 2000 ms. */
  readonly maxBackoffMs?: number;
  readonly logger?: Logger;
}

/** The URL with its password replaced, for logs and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable redis url)';
  }
}

/** Delay before reconnect attempt `times` (1, 2, ...): 50 ms doubling up to the cap, with jitter. */
export function reconnectDelay(times: number, maxBackoffMs: number): number {
  const base = Math.min(maxBackoffMs, 50 * 2 ** Math.min(times - 1, 16));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** The redacted URL of each connection opened here, for its log lines. */
const labels = new WeakMap<Redis, string>();

/**
 * Opens a command connection and waits for it to be ready: a node does not start on a Redis it
 * cannot reach (ERR_UNAVAILABLE naming the redacted URL). After that it reconnects by itself.
 */
export async function openRedisConnection(options: RedisConnectionOptions): Promise<Redis> {
  const maxBackoffMs = options.maxBackoffMs ?? 2000;
  const where = redactRedisUrl(options.url);
  const redis = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    retryStrategy: (times) => reconnectDelay(times, maxBackoffMs),
    ...(options.name === undefined ? {} : { connectionName: options.name }),
  });
  return connectOrFail(redis, where, options.logger);
}

/** A second connection with the same options (for subscriber mode), ready when this resolves. */
export async function duplicateRedisConnection(redis: Redis, logger?: Logger): Promise<Redis> {
  const copy = redis.duplicate({ lazyConnect: true });
  return connectOrFail(copy, labels.get(redis) ?? 'redis', logger);
}

/** Connects a lazy connection, logging under `where`; ERR_UNAVAILABLE (and no reconnecting) if the first attempt fails. */
async function connectOrFail(redis: Redis, where: string, logger: Logger | undefined): Promise<Redis> {
  labels.set(redis, where);
  watchConnection(redis, where, logger);
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new SealPushError('ERR_UNAVAILABLE', `Cannot connect to Redis at ${where}: ${errorMessage(err)}`);
  }
  return redis;
}

/**
 * Logs each loss and recovery once (not every failed attempt), and keeps ioredis from
 * printing unhandled 'error' events. Error texts name host and port, never the password.
 */
function watchConnection(redis: Redis, where: string, logger: Logger | undefined): void {
  let lost = false;
  redis.on('error', (err: unknown) => {
    if (lost) return;
    lost = true;
    logger?.warn({ redis: where, err: errorMessage(err) }, 'redis connection lost; reconnecting with backoff');
  });
  redis.on('close', () => {
    if (lost || redis.status === 'end') return;
    lost = true;
    logger?.warn({ redis: where }, 'redis connection closed; reconnecting with backoff');
  });
  redis.on('ready', () => {
    if (lost) logger?.info({ redis: where }, 'redis connection restored');
    lost = false;
  });
}

/**
 * Runs one Redis call; any failure (down, timeout, error reply) becomes ERR_UNAVAILABLE. Its
 * message reaches API callers, so it names the step, not the cause (which may name hosts):
 * the connection's own log line says what went wrong.
 */
export async function redisCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch {
    throw new SealPushError('ERR_UNAVAILABLE', `Redis did not answer (${what}); retry later`);
  }
}

/** Closes a connection: QUIT when connected (in-flight replies arrive first), else just stops reconnecting. */
export async function closeRedisConnection(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through: the connection went away meanwhile
    }
  }
  redis.disconnect();
}
