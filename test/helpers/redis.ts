/**
 * Redis for tests: connections under a unique key prefix that cleanup deletes, and a
 * redis-server of a test's own on a free port, for outage tests that stop and restart it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { Redis } from 'ioredis';
import { closeRedisConnection, openRedisConnection } from '../../src/drivers/redis/connection.js';
import { exited } from './process.js';

/** A prefix no other test run uses. */
export function uniquePrefix(): string {
  return `sealpush-test:${randomUUID()}:`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Connections opened by a test; `cleanup` deletes the prefix's keys and closes them all. */
export class RedisTestConnections {
  readonly prefix = uniquePrefix();
  readonly #opened: Redis[] = [];

  constructor(private readonly url: string) {}

  async open(): Promise<Redis> {
    const redis = await openRedisConnection({ url: this.url, name: 'sealpush-test' });
    this.#opened.push(redis);
    return redis;
  }

  /** Tracks a connection made some other way (a duplicate) so cleanup closes it. */
  adopt(redis: Redis): Redis {
    this.#opened.push(redis);
    return redis;
  }

  async cleanup(): Promise<void> {
    const [first] = this.#opened;
    if (first !== undefined) await deleteKeys(first, this.prefix);
    await Promise.all(this.#opened.splice(0).map((redis) => closeRedisConnection(redis)));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own, on one port across stop and start, keeping nothing on disk. */
export class OwnRedisServer {
  #child: ChildProcess | undefined;

  private constructor(readonly port: number, private readonly extraArgs: readonly string[]) {}

  /** `extraArgs`: more redis-server options, e.g. `['--requirepass', 'pw']`. */
  static async start(extraArgs: readonly string[] = []): Promise<OwnRedisServer> {
    const server = new OwnRedisServer(await freePort(), extraArgs);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it and resolves once it accepts connections (its own log line says so). */
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', '/tmp', ...this.extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${out}`)));
    });
  }

  /** Kills it outright (SIGKILL), as an outage would. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined) return;
    child.kill('SIGKILL');
    await exited(child);
  }
}
