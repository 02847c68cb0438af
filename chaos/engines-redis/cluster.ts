/**
 * Three `sealpush serve` processes on one MySQL database and a Redis of the scenario's own
 * (never a shared one: it is killed and flushed), with one master key, behind a load balancer
 * (chaos/lib/balancer.ts) that the load goes through.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runCli } from '../../test/helpers/process.js';
import { OwnRedisServer } from '../../test/helpers/redis.js';
import { tempDir } from '../../test/helpers/server.js';
import { Balancer } from '../lib/balancer.js';
import { ChaosNode } from '../lib/node.js';

/**
 * Heartbeats every 2 s, so a client of a paused node notices the silence within 9 s (two
 * heartbeats and the SDK's 5 s of slack) instead of 55 s; the limits are raised so that the
 * load and its reconnections from one address are never refused for their rate.
 */
const CONFIG = {
  limits: { heartbeatMs: 2000, readsPerSecondPerApp: 100_000, registrationsPerSecondPerApp: 10_000, handshakesPerSecondPerIp: 100_000 },
};

export class RedisCluster {
  private constructor(
    readonly nodes: readonly ChaosNode[],
    readonly redis: OwnRedisServer,
    readonly balancer: Balancer,
    readonly app: { readonly appId: string; readonly secret: string },
    private readonly dirs: readonly string[],
  ) {}

  /** `mysqlUrl`: a fresh, empty database. */
  static async start(mysqlUrl: string, nodeCount: number): Promise<RedisCluster> {
    const dirs = Array.from({ length: nodeCount }, () => tempDir());
    const redis = await OwnRedisServer.start();
    const config = join(dirs[0]!, 'chaos-config.json');
    writeFileSync(config, JSON.stringify(CONFIG));
    const env = { SEALPUSH_STORE: mysqlUrl, SEALPUSH_REDIS: redis.url, SEALPUSH_MASTER_KEY: randomBytes(32).toString('hex'), SEALPUSH_CONFIG: config };
    const cli = async (args: string[]): Promise<string> => {
      const result = await runCli(['--data', dirs[0]!, ...args], env);
      if (result.code !== 0) throw new Error(`sealpush ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    await cli(['migrate']);
    const app = JSON.parse(await cli(['apps', 'create', 'engines-redis', '--json'])) as { appId: string; secret: string };
    const nodes = await Promise.all(dirs.map((dir) => ChaosNode.start(dir, env)));
    const balancer = await Balancer.start(nodes);
    return new RedisCluster(nodes, redis, balancer, app, dirs);
  }

  get serverKey(): string {
    return this.nodes[0]!.serverKey;
  }

  /** FLUSHALL on the running Redis: every nonce, presence and rate-limit count gone at once. */
  async flushRedis(): Promise<void> {
    const redis = new Redis(this.redis.url, { lazyConnect: true });
    await redis.connect();
    try {
      await redis.flushall();
    } finally {
      redis.disconnect();
    }
  }

  async stop(): Promise<void> {
    await this.balancer.close();
    await Promise.all(this.nodes.map((node) => node.stop()));
    await this.redis.kill();
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}
