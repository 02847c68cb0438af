/**
 * A TCP load balancer in front of several nodes, as an operator runs one (HAProxy, nginx
 * stream): each new connection goes to the next node in rotation whose `/readyz` answered 200
 * at its last check (every `checkMs`, each check given `timeoutMs`). A node that stops
 * answering leaves the rotation and comes back once it answers again; when none is ready every
 * node takes connections (as nginx does), so callers hear the nodes' own 503s. Connections
 * already open stay where they are: a client notices a dead node by itself.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from '../../test/helpers/redis.js';

export interface Backend {
  readonly url: string;
}

export class Balancer {
  readonly #ready: boolean[];
  readonly #sockets = new Set<Socket>();
  #next = 0;
  #checking = false;
  #timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly backends: readonly Backend[],
  ) {
    this.#ready = backends.map(() => true);
  }

  static async start(backends: readonly Backend[], checks = { checkMs: 250, timeoutMs: 1000 }): Promise<Balancer> {
    const port = await freePort();
    const server = createServer();
    const balancer = new Balancer(server, port, backends);
    server.on('connection', (socket) => balancer.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    balancer.#timer = setInterval(() => void balancer.#check(checks.timeoutMs), checks.checkMs);
    return balancer;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Whether backend `i` is in the rotation. */
  ready(i: number): boolean {
    return this.#ready[i]!;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #pick(): Backend {
    const candidates = this.backends.filter((_, i) => this.#ready[i]);
    const pool = candidates.length > 0 ? candidates : this.backends;
    this.#next = (this.#next + 1) % pool.length;
    return pool[this.#next]!;
  }

  #accept(client: Socket): void {
    const target = new URL(this.#pick().url);
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.#sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async #check(timeoutMs: number): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    await Promise.all(this.backends.map(async (backend, i) => {
      try {
        this.#ready[i] = (await fetch(`${backend.url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) })).status === 200;
      } catch {
        this.#ready[i] = false;
      }
    }));
    this.#checking = false;
  }
}
