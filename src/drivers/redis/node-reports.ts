/**
 * NodeReports on Redis: how the nodes of one cluster see each other on the operator dashboard.
 *
 *   report  `<prefix>node-report:<nodeId>` = the report, sealed (AES-256-GCM under the bus
 *           envelope key, AAD the key name: Redis holds no address or claimed id in the clear),
 *           PX ttl. A node that stops stops renewing it, and Redis forgets it.
 *   index   `<prefix>node-reports`, a sorted set: nodeId scored by when its report expires, so
 *           `live()` reads the ids still current and fetches them in one MGET. Entries past
 *           their score are trimmed on every put.
 */
import type { Redis } from 'ioredis';
import type { NodeReport, NodeReports } from '../../domain/ports/node-reports.js';
import type { PayloadCipher } from '../../domain/ports/payload-cipher.js';
import { redisCall } from './connection.js';

export interface RedisNodeReportsOptions {
  /** Prepended to both keys. Default `sealpush:`. */
  readonly keyPrefix?: string;
  /** Milliseconds since the epoch. Default Date.now. */
  readonly now?: () => number;
}

export class RedisNodeReports implements NodeReports {
  readonly #redis: Redis;
  readonly #cipher: PayloadCipher;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(redis: Redis, cipher: PayloadCipher, options: RedisNodeReportsOptions = {}) {
    this.#redis = redis;
    this.#cipher = cipher;
    this.#prefix = options.keyPrefix ?? 'sealpush:';
    this.#now = options.now ?? Date.now;
  }

  async put(report: NodeReport, ttlMs: number): Promise<void> {
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError(`RedisNodeReports: ttlMs must be a positive integer, got ${ttlMs}`);
    const key = this.#key(report.nodeId);
    const sealed = this.#cipher.seal(Buffer.from(JSON.stringify(report), 'utf8'), Buffer.from(key, 'utf8'));
    const now = this.#now();
    await redisCall('node report', () =>
      this.#redis
        .multi()
        .set(key, Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength), 'PX', ttlMs)
        .zadd(this.#index(), now + ttlMs, report.nodeId)
        .zremrangebyscore(this.#index(), '-inf', now)
        .exec()
        .then((replies) => {
          const failed = replies?.find(([err]) => err !== null);
          if (replies === null || failed) throw failed?.[0] ?? new Error('transaction discarded');
        }),
    );
  }

  async live(): Promise<NodeReport[]> {
    const ids = await redisCall('node reports', () => this.#redis.zrangebyscore(this.#index(), `(${this.#now()}`, '+inf'));
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.#key(id));
    const values = await redisCall('node reports', () => this.#redis.mgetBuffer(...keys));
    const reports: NodeReport[] = [];
    values.forEach((sealed, i) => {
      if (sealed === null) return; // expired between the two reads
      try {
        reports.push(JSON.parse(Buffer.from(this.#cipher.open(sealed, Buffer.from(keys[i]!, 'utf8'))).toString('utf8')) as NodeReport);
      } catch {
        // Sealed under another key (a node with another master key) or altered: not ours to show.
      }
    });
    return reports;
  }

  #key(nodeId: string): string {
    return `${this.#prefix}node-report:${nodeId}`;
  }

  #index(): string {
    return `${this.#prefix}node-reports`;
  }
}
