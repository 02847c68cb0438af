/** Nonces, presence, routing, rate limits and node reports: in this process, or on Redis (config `redis`). */
import type { Logger as PinoLogger } from 'pino';
import type { Config } from '../config.js';
import type { Bus } from '../domain/ports/bus.js';
import type { NodeReports } from '../domain/ports/node-reports.js';
import type { NonceCache } from '../domain/ports/nonce-cache.js';
import type { RateLimit, RateLimitSpec } from '../domain/ports/rate-limit.js';
import { createBusEnvelopeCipher } from '../crypto/node/at-rest.js';
import { MemoryNonceCache } from '../drivers/nonces/memory.js';
import { MemoryRateLimit } from '../drivers/limits/memory.js';
import { LocalBus } from '../drivers/bus/local.js';
import { RedisNonceCache } from '../drivers/redis/nonces.js';
import { RedisBus } from '../drivers/redis/bus.js';
import { RedisNodeReports } from '../drivers/redis/node-reports.js';
import { RedisRateLimit } from '../drivers/redis/rate-limit.js';
import { closeRedisConnection, duplicateRedisConnection, openRedisConnection, redactRedisUrl } from '../drivers/redis/connection.js';
import { elapsedClock } from './core.js';

/** Nonces, presence and routing: in this process, or shared by every node through Redis (config `redis`). */
export interface Coordination {
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

export async function openCoordination(config: Config, nodeId: string, payloadKey: Uint8Array, logger: PinoLogger): Promise<Coordination> {
  if (config.redis === undefined) {
    const idle = async (): Promise<void> => {};
    const rateLimit = (_name: string, spec: RateLimitSpec): RateLimit => new MemoryRateLimit(spec, elapsedClock);
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
    rateLimit: (name, spec) => new RedisRateLimit(commands, { ...spec, name, fallback: new MemoryRateLimit(spec, elapsedClock), logger }),
    subscribed: () => bus.subscriptionsReady(),
    ping: async () => {
      await Promise.all([nonces.ping(), bus.ping()]);
    },
    close: async () => {
      await Promise.all([closeRedisConnection(subscriber), closeRedisConnection(commands)]);
    },
  };
}
